package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code migrate --listen} and {@code migrate --to} as two separate JVM processes over loopback TCP, once per
 * built-in policy: the outcomes agree, and the two reports prove integrity across the processes (the source's
 * expected-image digest equals the destination's digest of the source's part; the destination's devices took
 * exactly the P2P writes both sides accepted).
 */
class MigrateCommandTest {
    @TempDir
    Path tmp;

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private Process start(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", classPath(), Main.class.getName(), "migrate"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(tmp.resolve(name + ".err").toFile())
                .redirectOutput(tmp.resolve(name + ".out").toFile()).start();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + json);
        }
        return m.group(1).replace("\"", "");
    }

    private int waitForPort(Path err, Process p) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (Files.exists(err)) {
                for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                    if (line.startsWith("listening on 127.0.0.1:")) {
                        return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
                    }
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("destination exited: " + Files.readString(err));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("destination never listened");
    }

    @Test
    void aBadOrClosedAddressIsBadInputInOneLine() throws IOException {
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--to", "localhost"),
                "--to localhost: expected HOST:PORT with PORT 1 to 65535");
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--to", "127.0.0.1:70000"),
                "--to 127.0.0.1:70000: expected HOST:PORT with PORT 1 to 65535");
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CliRun r = CliRun.of("migrate", "--to", "127.0.0.1:" + closed);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("mmio-mediator: --to 127.0.0.1:" + closed + ": cannot connect: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"queue-and-replay", "abort-migration", "fail-always", "require-p2p"})
    void twoProcessesMigrateAndAgree(String policy) throws Exception {
        Process destination = start("destination", "--listen", "0", "--policy", policy, "--json", "--timeout-s",
                "60");
        String out;
        String in;
        if (policy.equals("require-p2p")) {
            destination.waitFor(60, TimeUnit.SECONDS);
            Process source = start("source", "--to", "127.0.0.1:9", "--policy", policy, "--json");
            assertEquals(0, source.waitFor(60, TimeUnit.SECONDS) ? source.exitValue() : -1);
            out = Files.readString(tmp.resolve("source.out"));
            in = Files.readString(tmp.resolve("destination.out"));
            assertEquals("blocked", field(out, "outcome"), out);
            assertEquals("blocked", field(in, "outcome"), in);
            assertTrue(out.contains("Multiple VFIO devices migration is supported only if all of them support P2P "
                    + "migration"), out);
            return;
        }
        int port = waitForPort(tmp.resolve("destination.err"), destination);
        Process source = start("source", "--to", "127.0.0.1:" + port, "--policy", policy, "--json");
        assertTrue(source.waitFor(120, TimeUnit.SECONDS), "source did not finish");
        assertTrue(destination.waitFor(120, TimeUnit.SECONDS), "destination did not finish");
        out = Files.readString(tmp.resolve("source.out"));
        in = Files.readString(tmp.resolve("destination.out"));
        String diagnostics = "\nsource: " + out + Files.readString(tmp.resolve("source.err")) + "\ndestination: " + in
                + Files.readString(tmp.resolve("destination.err"));
        assertEquals(0, source.exitValue(), diagnostics);
        assertEquals(0, destination.exitValue(), diagnostics);
        if (policy.equals("abort-migration")) {
            assertEquals("aborted", field(out, "outcome"), diagnostics);
            assertEquals("refused", field(in, "outcome"), diagnostics);
            assertEquals("true", field(out, "imagesMatch"), diagnostics);
            assertEquals(field(out, "acceptedP2pWrites"), field(out, "deviceWrites"), diagnostics);
            assertEquals("true", field(in, "unchanged"), diagnostics);
            return;
        }
        assertEquals("completed", field(out, "outcome"), diagnostics);
        assertEquals("completed", field(in, "outcome"), diagnostics);
        assertEquals(field(out, "expectedDigest"), field(in, "sourcePartDigest"), diagnostics);
        assertEquals("true", field(in, "ownWindowsMatch"), diagnostics);
        long accepted = Long.parseLong(field(out, "acceptedP2pWrites")) + Long.parseLong(field(in, "acceptedP2pWrites"));
        assertEquals(accepted, Long.parseLong(field(in, "deviceWrites")), "lost or duplicated P2P writes"
                + diagnostics);
        assertEquals(field(out, "carried"), field(in, "carried"), diagnostics);
        if (policy.equals("queue-and-replay")) {
            assertTrue(Long.parseLong(field(out, "carried")) > 0, "no held write travelled" + diagnostics);
        } else {
            assertTrue(Long.parseLong(field(out, "failed")) > 0, diagnostics);
        }
    }
}
