package dev.mmiomediator.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code mmio-mediator migrate} in a JVM of its own (as in {@link MigrateCommandTest}), its standard output and
 * error in files under a test's directory, with what the two-process tests need: wait for a line on its standard
 * error, kill it, time its end, and read its JSON report.
 *
 * <p><b>Note:</b> not thread-safe; one test thread.
 */
final class MigrateProcess {

    final String name;
    final Process process;
    private final Path out;
    private final Path err;

    private MigrateProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Starts {@code migrate args...}; {@code name} names its files in {@code dir} and it in messages. */
    static MigrateProcess start(Path dir, String name, String... args) throws IOException {
        return launch(dir, name, List.of("-cp", classPath(), Main.class.getName()), args);
    }

    /** Starts {@code java -jar jar migrate args...}: the shipped jar, as a user runs it. */
    static MigrateProcess startJar(Path dir, String name, Path jar, String... args) throws IOException {
        return launch(dir, name, List.of("-jar", jar.toString()), args);
    }

    private static MigrateProcess launch(Path dir, String name, List<String> launcher, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        cmd.addAll(launcher);
        cmd.add("migrate");
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        return new MigrateProcess(name, p, out, err);
    }

    String stdout() {
        return read(out);
    }

    String stderr() {
        return read(err);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Both processes' output, for assertion messages. */
    static String diagnostics(MigrateProcess... processes) {
        StringBuilder sb = new StringBuilder();
        for (MigrateProcess p : processes) {
            sb.append("\n--- ").append(p.name).append(p.process.isAlive() ? " (running)" : " (exit "
                    + p.process.exitValue() + ")").append(" stdout:\n").append(p.stdout()).append("--- ")
                    .append(p.name).append(" stderr:\n").append(p.stderr());
        }
        return sb.toString();
    }

    /** The port of a destination started with {@code --listen 0}, once it prints that it listens. */
    int awaitPort(Duration timeout, MigrateProcess... others) throws InterruptedException {
        String line = awaitStderr("listening on 127.0.0.1:", timeout, others);
        Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
        if (!m.find()) {
            throw new AssertionError("no port in '" + line + "'" + diagnostics(this));
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * Waits until a line of standard error contains {@code fragment}, polling every millisecond or so (the moments
     * the kill tests aim at last tens of milliseconds).
     *
     * @return that line
     * @throws AssertionError, with every given process's output, if the process ends first or the time runs out
     */
    String awaitStderr(String fragment, Duration timeout, MigrateProcess... others) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = stderr();
            int at = text.indexOf(fragment);
            if (at >= 0) {
                int eol = text.indexOf('\n', at);
                if (eol >= 0) {
                    return text.substring(text.lastIndexOf('\n', at) + 1, eol);
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " ended before printing '" + fragment + "'" + all(others));
            }
            if (System.nanoTime() - end > 0) {
                throw new AssertionError(name + " did not print '" + fragment + "' within " + timeout + all(others));
            }
            Thread.sleep(1);
        }
    }

    private String all(MigrateProcess... others) {
        MigrateProcess[] ps = new MigrateProcess[others.length + 1];
        ps[0] = this;
        System.arraycopy(others, 0, ps, 1, others.length);
        return diagnostics(ps);
    }

    /** kill -9: no shutdown hooks, no last words; the kernel closes its sockets. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not die within 10 s of SIGKILL");
        }
    }

    /**
     * Waits for the process to end on its own.
     *
     * @return whether it did within {@code timeout} (it is killed if not)
     */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        return false;
    }

    /** Kills the process if a test left it running. */
    void destroy() {
        process.destroyForcibly();
    }

    /** Kills each process a test started and left running; a null one was never started. */
    static void destroyAll(MigrateProcess... processes) {
        for (MigrateProcess p : processes) {
            if (p != null) {
                p.destroy();
            }
        }
    }

    /**
     * Asserts, from both sides' JSON reports of a completed migration, that the destination holds the source's part
     * of memory (by digest) and took every P2P write accepted on either side exactly once, by identity.
     */
    static void assertIntegrityKept(MigrateProcess source, MigrateProcess destination) {
        String diagnostics = diagnostics(source, destination);
        org.junit.jupiter.api.Assertions.assertEquals(source.field("expectedDigest"),
                destination.field("sourcePartDigest"), diagnostics);
        JsonObject out = JsonReport.of(source.stdout());
        JsonObject in = JsonReport.of(destination.stdout());
        long[] writes = MigrateCommandTest.perWrite(List.of(JsonReport.integerLists(out, "acceptedIdentities"),
                JsonReport.integerLists(in, "acceptedIdentities")), JsonReport.integerLists(in, "takenIdentities"));
        org.junit.jupiter.api.Assertions.assertEquals(0, writes[0],
                "accepted P2P writes the destination's devices never took" + diagnostics);
        org.junit.jupiter.api.Assertions.assertEquals(0, writes[1],
                "P2P writes the destination's devices took twice or unasked" + diagnostics);
    }

    /** A top-level field of the JSON report, as printed (strings without their quotes). */
    String field(String field) {
        return JsonReport.field(report(), field);
    }

    /** A top-level integer of the JSON report. */
    long number(String field) {
        return JsonReport.integer(report(), field);
    }

    /** Each device's path in the report: the states it went through, in order. */
    Map<String, List<String>> paths() {
        return JsonReport.stringLists(report(), "paths");
    }

    private JsonObject report() {
        String json = stdout();
        try {
            return JsonReport.of(json);
        } catch (AssertionError e) {
            throw new AssertionError(name + "'s report: " + e.getMessage(), e);
        }
    }
}
