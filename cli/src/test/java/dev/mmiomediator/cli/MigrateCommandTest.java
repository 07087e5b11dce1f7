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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code migrate --listen} and {@code migrate --to} as two separate JVM processes over loopback TCP, once per
 * built-in policy: the outcomes agree, and the two reports prove integrity across the processes (the source's
 * expected-image digest equals the destination's digest of the source's part; per P2P write, by identity, the
 * destination's devices' write ledgers hold each write both sides accepted for that device exactly once, and
 * nothing else). The per-write comparison is made here, from both reports, independently of the tool's own.
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
        return JsonReport.field(json, name);
    }

    /** The {@code "name":{"device":[n,...],...}} member of a report: per device, its numbers in order. */
    static Map<String, List<Long>> identities(String json, String name) {
        return JsonReport.integerLists(JsonReport.of(json), name);
    }

    /**
     * Per write, by identity: {lost, duplicated, accepted}. Lost: accepted for a device and never taken by it;
     * duplicated: every take beyond the one an accepted write is owed (a take of a write never accepted for that
     * device counts each time).
     */
    static long[] perWrite(List<Map<String, List<Long>>> acceptedSides, Map<String, List<Long>> taken) {
        Map<String, Set<Long>> accepted = new HashMap<>();
        long count = 0;
        for (Map<String, List<Long>> side : acceptedSides) {
            for (Map.Entry<String, List<Long>> e : side.entrySet()) {
                accepted.computeIfAbsent(e.getKey(), k -> new HashSet<>()).addAll(e.getValue());
                count += e.getValue().size();
            }
        }
        long lost = 0;
        long duplicated = 0;
        Set<String> devices = new HashSet<>(accepted.keySet());
        devices.addAll(taken.keySet());
        for (String device : devices) {
            Map<Long, Integer> times = new HashMap<>();
            taken.getOrDefault(device, List.of()).forEach(id -> times.merge(id, 1, Integer::sum));
            Set<Long> want = accepted.getOrDefault(device, Set.of());
            for (long id : want) {
                if (!times.containsKey(id)) {
                    lost++;
                }
            }
            for (Map.Entry<Long, Integer> e : times.entrySet()) {
                duplicated += Math.max(0, e.getValue() - (want.contains(e.getKey()) ? 1 : 0));
            }
        }
        return new long[] {lost, duplicated, count};
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
    void aMalformedAddressIsBadInputInOneLine() {
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--to", "localhost"),
                "--to localhost: expected HOST:PORT with PORT 1 to 65535");
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--to", "127.0.0.1:70000"),
                "--to 127.0.0.1:70000: expected HOST:PORT with PORT 1 to 65535");
    }

    /** Nobody listens on the port: the network failed, the arguments were fine. */
    @Test
    void aClosedPortIsATransportFailureInOneLine() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CliRun r = CliRun.of("migrate", "--to", "127.0.0.1:" + closed);
        assertEquals(Main.EXIT_TRANSPORT, r.code(), r.err());
        assertTrue(r.err().startsWith("mmio-mediator: --to 127.0.0.1:" + closed + ": cannot connect: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("", r.out());
    }

    /**
     * The destination runs {@code abort-migration} and holds its devices RESUMING after its DMA started
     * ({@code --hold-resuming-ms}, ended early by the policy's cancel): its own software devices meet a device still
     * RESUMING, it refuses with the policy's reason, and the source (queue-and-replay, so it held writes when it sent)
     * resumes with its image and every held write replayed, each accepted write taken once by identity.
     */
    @Test
    void aDestinationPolicyCancelsAcrossProcessesAndTheSourceResumesWithEverything() throws Exception {
        Process destination = start("destination", "--listen", "0", "--policy", "abort-migration", "--json",
                "--timeout-s", "60", "--hold-resuming-ms", "20000");
        int port = waitForPort(tmp.resolve("destination.err"), destination);
        Process source = start("source", "--to", "127.0.0.1:" + port, "--policy", "queue-and-replay", "--json");
        assertTrue(source.waitFor(120, TimeUnit.SECONDS), "source did not finish");
        assertTrue(destination.waitFor(120, TimeUnit.SECONDS), "destination did not finish");
        String out = Files.readString(tmp.resolve("source.out"));
        String in = Files.readString(tmp.resolve("destination.out"));
        String diagnostics = "\nsource: " + Files.readString(tmp.resolve("source.err")) + "\ndestination: "
                + Files.readString(tmp.resolve("destination.err"));
        assertEquals(0, source.exitValue(), diagnostics);
        assertEquals(0, destination.exitValue(), diagnostics);

        assertEquals("refused", field(in, "outcome"), diagnostics);
        String why = field(in, "reason");
        assertTrue(why.startsWith("cancelled on the destination: policy 'abort-migration': write "), why);
        assertTrue(why.contains("(target RESUMING, "), why);
        assertTrue(Long.parseLong(field(in, "aborts")) > 0, diagnostics);

        assertEquals("aborted", field(out, "outcome"), diagnostics);
        assertTrue(field(out, "reason").endsWith("refused: " + why), field(out, "reason"));
        assertEquals("0", field(out, "carried"), diagnostics);
        assertTrue(Long.parseLong(field(out, "queued")) > 0, "the source held nothing" + diagnostics);
        assertEquals(field(out, "queued"), field(out, "replayed"), "every held write replayed on the source");
        assertEquals("true", field(out, "imagesMatch"), diagnostics);
        long[] writes = perWrite(List.of(identities(out, "acceptedIdentities")), identities(out, "takenIdentities"));
        assertEquals(Long.parseLong(field(out, "acceptedP2pWrites")), writes[2], diagnostics);
        assertEquals(0, writes[0], "source: accepted P2P writes never taken" + diagnostics);
        assertEquals(0, writes[1], "source: P2P writes taken twice or unasked" + diagnostics);
        assertEquals("0", field(out, "unrecorded"), diagnostics);
    }

    @Test
    void holdingResumingIsForTheDestinationOnly() {
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--to", "127.0.0.1:9", "--hold-resuming-ms", "10"),
                "--hold-resuming-ms is for the destination (--listen), not the source");
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--listen", "0", "--hold-resuming-ms", "-1"),
                "--hold-resuming-ms -1: expected 0 to 600000");
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
            long[] writes = perWrite(List.of(identities(out, "acceptedIdentities")), identities(out, "takenIdentities"));
            assertTrue(writes[2] > 0, "no P2P write accepted" + diagnostics);
            assertEquals(0, writes[0], "source: accepted P2P writes never taken" + diagnostics);
            assertEquals(0, writes[1], "source: P2P writes taken twice or unasked" + diagnostics);
            assertEquals("0", field(out, "lost"), diagnostics);
            assertEquals("0", field(out, "duplicated"), diagnostics);
            assertEquals("0", field(out, "unrecorded"), diagnostics);
            assertEquals("true", field(in, "unchanged"), diagnostics);
            return;
        }
        assertEquals("completed", field(out, "outcome"), diagnostics);
        assertEquals("completed", field(in, "outcome"), diagnostics);
        assertEquals(field(out, "expectedDigest"), field(in, "sourcePartDigest"), diagnostics);
        assertEquals("true", field(in, "ownWindowsMatch"), diagnostics);
        long[] writes = perWrite(List.of(identities(out, "acceptedIdentities"), identities(in, "acceptedIdentities")),
                identities(in, "takenIdentities"));
        assertEquals(Long.parseLong(field(out, "acceptedP2pWrites")) + Long.parseLong(field(in, "acceptedP2pWrites")),
                writes[2], "the identities listed are the writes counted" + diagnostics);
        assertEquals(0, writes[0], "accepted P2P writes the destination's devices never took" + diagnostics);
        assertEquals(0, writes[1], "P2P writes the destination's devices took twice or unasked" + diagnostics);
        assertEquals("0", field(in, "unrecorded"), diagnostics);
        assertEquals(field(out, "carried"), field(in, "carried"), diagnostics);
        if (policy.equals("queue-and-replay")) {
            assertTrue(Long.parseLong(field(out, "carried")) > 0, "no held write travelled" + diagnostics);
        } else {
            assertTrue(Long.parseLong(field(out, "failed")) > 0, diagnostics);
        }
    }
}
