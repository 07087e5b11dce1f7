package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code simulate} prints on standard error: in a JVM of its own (slf4j-simple writes to the process's standard
 * error, which an in-process run does not capture), with standard error a file, not a terminal; and in-process for
 * the progress line a terminal gets.
 */
class SimulateStderrTest {
    @TempDir
    Path tmp;

    private record Ended(int code, String out, List<String> err) {
    }

    private Ended simulate(String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"),
                Main.class.getName(), "simulate"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "simulate", ".out");
        Path err = Files.createTempFile(tmp, "simulate", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "simulate did not end within 120 s");
        return new Ended(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readAllLines(err, StandardCharsets.UTF_8));
    }

    @Test
    void byDefaultStandardErrorHoldsAtMostOneWarningPerPolicyEachNamingItsSide() throws Exception {
        Ended e = simulate();
        assertEquals(0, e.code(), String.join("\n", e.err()));
        assertTrue(e.out().startsWith("Simulated migration of 'demo-q35'"), e.out());
        assertTrue(e.err().size() <= SimulateCommand.BUILTINS.size(), String.join("\n", e.err()));
        for (String line : e.err()) {
            assertTrue(line.startsWith("mmio-mediator: warning: source: ")
                    || line.startsWith("mmio-mediator: warning: destination: "), line);
        }
    }

    @Test
    void quietPrintsNothingOnStandardErrorOnSuccess() throws Exception {
        Ended e = simulate("-q", "--policy", "fail-always");
        assertEquals(0, e.code(), String.join("\n", e.err()));
        assertEquals(List.of(), e.err());
        assertTrue(e.out().contains("\nfail-always: completed\n"), e.out());
    }

    @Test
    void verboseAfterTheCommandPrintsEveryProgressLineAndTheDebugLog() throws Exception {
        Ended e = simulate("--policy", "fail-always", "-v");
        assertEquals(0, e.code(), String.join("\n", e.err()));
        String err = String.join("\n", e.err());
        assertTrue(err.contains("simulate: run 1 of 1: policy fail-always"), err);
        assertTrue(err.contains("simulate: run 1 of 1: fail-always: source: completed; the destination runs the VM"),
                err);
        assertTrue(err.contains("DEBUG PolicyEngine - source: device 0000:01:00.0 registered"), err);
        assertTrue(err.contains("INFO PolicyEngine - destination: device 0000:03:00.0 lacks P2P migration states"),
                err);
    }

    @Test
    void verboseBeforeTheCommandPrintsTheStackTraceOfAFailure() throws Exception {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"-v", "simulate", "--settle-ms", "-1"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(Main.EXIT_BAD_INPUT, code);
        assertTrue(err.toString().startsWith("mmio-mediator: --settle-ms -1: expected 0 to 60000\n"), err.toString());
        assertTrue(err.toString().contains("\tat dev.mmiomediator.cli.SimulateCommand.call("), err.toString());
    }

    @Test
    void quietAndVerboseTogetherAreBadInput() {
        CliRun r = CliRun.of("-q", "simulate", "-v");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().startsWith("mmio-mediator: -q (--quiet) and -v (--verbose): expected one of them\n"),
                r.err());
    }

    @Test
    void onATerminalProgressIsOneLineRewrittenInPlaceAndClearedAtTheEnd() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"simulate", "--policy", "queue-and-replay"}, new PrintWriter(out),
                new PrintWriter(err), true, false);
        assertEquals(0, code, err.toString());
        String e = err.toString();
        assertFalse(e.contains("\n"), "no line ends: " + e);
        assertTrue(e.startsWith("\rsimulate: run 1 of 1: policy queue-and-replay"), e);
        assertTrue(e.contains("\rsimulate: run 1 of 1: queue-and-replay: destination: "), e);
        assertTrue(e.endsWith("\r") && e.substring(e.lastIndexOf('\r', e.length() - 2) + 1, e.length() - 1).isBlank(),
                "the last line is blanked: " + e);
        assertTrue(out.toString().contains("\nqueue-and-replay: completed\n"), out.toString());
    }
}
