package dev.mmiomediator.cli;

import dev.mmiomediator.policy.PolicyLoadException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code mmio-mediator} command-line tool.
 *
 * <p>Exit codes: 0 success, 1 internal failure, 2 bad input (which includes a policy provider on the class path
 * that cannot be used); either way one line on stderr, no stack trace.
 */
@Command(name = "mmio-mediator",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Audit and simulate the memory maps of VMs with passthrough (VFIO) devices.",
        subcommands = {SimulateCommand.class, PlanCommand.class, MigrateCommand.class, MtreeCommand.class,
                FsmCommand.class, PoliciesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for a failure that is a bug of the tool, not of its input. */
    public static final int EXIT_INTERNAL = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a command (see --help)");
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool with the given output streams and returns its exit code (for tests and embedding). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("mmio-mediator: " + ex.getMessage());
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof BadInputException || ex instanceof IllegalArgumentException
                    || ex instanceof PolicyLoadException) {
                err.println("mmio-mediator: " + PolicyPath.oneLine(ex));
                return EXIT_BAD_INPUT;
            }
            if (ex instanceof java.nio.file.NoSuchFileException) {
                err.println("mmio-mediator: no such file: " + ex.getMessage());
                return EXIT_BAD_INPUT;
            }
            if (ex instanceof java.io.IOException) {
                err.println("mmio-mediator: " + ex);
                return EXIT_BAD_INPUT;
            }
            return internalFailure(ex, err);
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // picocli hands the handler exceptions only; errors thrown by a command come out here
            code = internalFailure(e, err);
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * Reports a bug in one line: the throwable and where it was thrown, which is what a bug report needs; a stack
     * trace would bury the one line users read.
     */
    static int internalFailure(Throwable e, PrintWriter err) {
        StackTraceElement[] trace = e.getStackTrace();
        String where = trace.length == 0 ? "" : " (at " + trace[0].getClassName() + "." + trace[0].getMethodName()
                + (trace[0].getLineNumber() > 0 ? ":" + trace[0].getLineNumber() : "") + ")";
        err.println("mmio-mediator: internal error, please report it with the input that caused it: "
                + e.getClass().getName() + (e.getMessage() == null ? "" : ": "
                + PolicyPath.oneLine(e)) + where);
        err.flush();
        return EXIT_INTERNAL;
    }

    /** Prints the version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"mmio-mediator " + (v == null ? "(development build)" : v)};
        }
    }
}
