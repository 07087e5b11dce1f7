package dev.mmiomediator.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the tool in-process for tests, capturing its exit code and both output streams. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new CliRun(code, out.toString(), err.toString());
    }
}
