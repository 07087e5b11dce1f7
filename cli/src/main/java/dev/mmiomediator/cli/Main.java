package dev.mmiomediator.cli;

import dev.mmiomediator.policy.PolicyLoadException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The {@code mmio-mediator} command-line tool.
 *
 * <p>Exit codes:
 * <table>
 * <caption>Exit codes</caption>
 * <tr><th>Code</th><th>Meaning</th></tr>
 * <tr><td>{@value #EXIT_OK}</td><td>success</td></tr>
 * <tr><td>{@value #EXIT_CHECK_FAILED}</td><td>the run completed but failed its own check: a simulated migration
 *     or a migrate side whose integrity check found lost or duplicated writes or memory that differs from the
 *     expected image</td></tr>
 * <tr><td>{@value #EXIT_BAD_INPUT}</td><td>bad input: bad arguments, a missing, unreadable or malformed file, an
 *     unknown policy or option, a policy provider on the class path or {@code --policy-path} that cannot be
 *     used</td></tr>
 * <tr><td>{@value #EXIT_INTERNAL}</td><td>internal error: an unexpected exception, a bug of the tool</td></tr>
 * <tr><td>{@value #EXIT_TRANSPORT}</td><td>transport failure: migrate could not reach or keep its peer before the
 *     migration started (connection refused, reset or timed out, TLS handshake failed)</td></tr>
 * </table>
 *
 * <p>A failure prints one line on standard error; with {@code -v} ({@code --verbose}, before or after the command)
 * its stack trace follows. Standard error holds, besides failures, the log's WARN lines (what a user must act on)
 * and a command's events (lines a caller waits for, such as {@code listening on HOST:PORT}); progress is one line
 * rewritten in place on a terminal and absent otherwise ({@link Output}). {@code -q} leaves only failures;
 * {@code -v} adds every progress line, the log's DEBUG lines and stack traces. A migration that starts and then loses its peer is not a transport failure: the side
 * resolves it (the source resumes, the destination refuses) and reports that outcome with exit code 0, or 1 if its
 * integrity check fails.
 */
@Command(name = "mmio-mediator",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Audit and simulate the memory maps of VMs with passthrough (VFIO) devices.",
        subcommands = {SimulateCommand.class, PlanCommand.class, MigrateCommand.class, MtreeCommand.class,
                FsmCommand.class, PoliciesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for success. */
    public static final int EXIT_OK = 0;
    /** Exit code for a run that completed but failed its own integrity check. */
    public static final int EXIT_CHECK_FAILED = 1;
    /** Exit code for bad input. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for a failure that is a bug of the tool, not of its input. */
    public static final int EXIT_INTERNAL = 3;
    /** Exit code for a network failure that kept migrate from starting its migration. */
    public static final int EXIT_TRANSPORT = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Read from the parse result, not from this field: an inherited option is also matched after the command. */
    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Verbose: every progress line (also when standard error is not a terminal), the log's "
                    + "DEBUG lines, and on failure the stack trace after the one-line message.")
    boolean verbose;

    /** As {@link #verbose}, read from the parse result. */
    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Quiet: the report only; nothing on standard error but a failure's line.")
    boolean quiet;

    /** What the command that runs prints on standard error; set from the parse result before it runs. */
    private Output output;

    /** For the commands: their standard error's events and progress, by -q, -v and the terminal. */
    Output output() {
        return output;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a command (see --help)");
    }

    /**
     * Entry point: standard error counts as a terminal when the JVM has a console, and {@code -q} and {@code -v} set
     * the log level of the process (slf4j-simple reads it once, when the first logger is made).
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                System.console() != null, true));
    }

    /**
     * Runs the tool with the given output streams and returns its exit code (for tests and embedding): standard
     * error is not a terminal, and the logging configuration is the caller's.
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, false, false);
    }

    /**
     * As {@link #run(String[], PrintWriter, PrintWriter)}, with {@code terminal} saying whether {@code err} is a
     * terminal (progress in place), and {@code configureLogging} whether to set slf4j-simple's system properties
     * from {@code -q} and {@code -v} (a property already set, as by {@code -D} on the java command line, wins).
     */
    static int run(String[] args, PrintWriter out, PrintWriter err, boolean terminal, boolean configureLogging) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            Output.Level level = level(parseResult);
            if (configureLogging) {
                configureLogging(level);
            }
            main.output = new Output(err, level, terminal, Output.columns());
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("mmio-mediator: " + ex.getMessage());
            stackTrace(ex, err, verboseIn(args));
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = verbose(parseResult);
            int code = exitCode(ex);
            if (code == EXIT_INTERNAL) {
                return internalFailure(ex, err, verbose);
            }
            err.println("mmio-mediator: " + (ex instanceof NoSuchFileException ? "no such file: " + ex.getMessage()
                    : ex instanceof BadInputException || ex instanceof IllegalArgumentException
                    || ex instanceof PolicyLoadException || ex instanceof TransportException ? PolicyPath.oneLine(ex)
                    : ex.toString()));
            stackTrace(ex, err, verbose);
            return code;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (RuntimeException | Error e) {
            // picocli hands the handler exceptions only; errors thrown by a command come out here
            code = internalFailure(e, err, verboseIn(args));
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The exit code for an exception a command threw. IllegalArgumentException is bad input because the library
     * rejects arguments with it (InputFormatException for dump and topology files is one), each time naming the value;
     * an IOException other than TransportException is bad input because every socket path of migrate wraps its
     * IOException in a TransportException, so what reaches here comes from reading an input file.
     */
    static int exitCode(Exception ex) {
        if (ex instanceof TransportException) {
            return EXIT_TRANSPORT;
        }
        if (ex instanceof BadInputException || ex instanceof IllegalArgumentException
                || ex instanceof PolicyLoadException || ex instanceof IOException) {
            return EXIT_BAD_INPUT;
        }
        return EXIT_INTERNAL;
    }

    /** Whether {@code -v} was given to the tool or to any command on the way to the one that ran. */
    private static boolean verbose(CommandLine.ParseResult parseResult) {
        return matched(parseResult, "--verbose");
    }

    private static boolean matched(CommandLine.ParseResult parseResult, String option) {
        for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption(option)) {
                return true;
            }
        }
        return false;
    }

    /** The level {@code -q} or {@code -v} chose, anywhere on the command line; both is bad input. */
    private static Output.Level level(CommandLine.ParseResult parseResult) {
        boolean quiet = matched(parseResult, "--quiet");
        boolean verbose = matched(parseResult, "--verbose");
        if (quiet && verbose) {
            throw new CommandLine.ParameterException(parseResult.commandSpec().commandLine(),
                    "-q (--quiet) and -v (--verbose): expected one of them");
        }
        return quiet ? Output.Level.QUIET : verbose ? Output.Level.VERBOSE : Output.Level.NORMAL;
    }

    /**
     * slf4j-simple's configuration for {@code level}: WARN by default, as {@code mmio-mediator: warning: ...};
     * ERROR with {@code -q}; DEBUG with {@code -v}, with the thread and the logger's short name.
     */
    static void configureLogging(Output.Level level) {
        String p = "org.slf4j.simpleLogger.";
        boolean verbose = level == Output.Level.VERBOSE;
        setIfAbsent(p + "defaultLogLevel", level == Output.Level.QUIET ? "error" : verbose ? "debug" : "warn");
        setIfAbsent(p + "showThreadName", String.valueOf(verbose));
        setIfAbsent(p + "showLogName", "false");
        setIfAbsent(p + "showShortLogName", String.valueOf(verbose));
        if (!verbose) {
            setIfAbsent(p + "warnLevelString", "mmio-mediator: warning:");
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Whether {@code args} hold {@code -v}, for failures that come before or outside a complete parse. */
    private static boolean verboseIn(String[] args) {
        List<String> list = Arrays.asList(args);
        return list.contains("-v") || list.contains("--verbose");
    }

    private static void stackTrace(Throwable e, PrintWriter err, boolean verbose) {
        if (verbose) {
            e.printStackTrace(err);
            err.flush();
        }
    }

    /**
     * Reports a bug in one line: the throwable and where it was thrown, which is what a bug report needs; a stack
     * trace would bury the one line users read.
     */
    static int internalFailure(Throwable e, PrintWriter err) {
        return internalFailure(e, err, false);
    }

    /** As {@link #internalFailure(Throwable, PrintWriter)}, followed by the stack trace if {@code verbose}. */
    static int internalFailure(Throwable e, PrintWriter err, boolean verbose) {
        StackTraceElement[] trace = e.getStackTrace();
        String where = trace.length == 0 ? "" : " (at " + trace[0].getClassName() + "." + trace[0].getMethodName()
                + (trace[0].getLineNumber() > 0 ? ":" + trace[0].getLineNumber() : "") + ")";
        err.println("mmio-mediator: internal error, please report it with the input that caused it: "
                + e.getClass().getName() + (e.getMessage() == null ? "" : ": "
                + PolicyPath.oneLine(e)) + where);
        stackTrace(e, err, verbose);
        err.flush();
        return EXIT_INTERNAL;
    }

    /**
     * Prints the project version: from {@value #VERSION_FILE}, which Maven filters at build time, so that it is
     * right when running from classes as well as from the jar; else the jar manifest's Implementation-Version.
     */
    static final class Version implements CommandLine.IVersionProvider {
        static final String VERSION_FILE = "mmio-mediator-version.properties";

        @Override
        public String[] getVersion() throws IOException {
            return new String[] {"mmio-mediator " + version()};
        }

        static String version() throws IOException {
            try (InputStream in = Main.class.getResourceAsStream(VERSION_FILE)) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.isBlank() && !v.startsWith("${")) {
                        return v;
                    }
                }
            }
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "(development build)" : v;
        }
    }
}
