package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.fixtures.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate} over TLS between two processes, each side with its own key, the CA that signs the other's, and the
 * other's name as its only {@code --tls-peer}: a migration completes with the same integrity evidence as over TCP,
 * and a source the destination does not let in (a certificate from a CA it does not trust, or a name it does not
 * accept) is told so at connect in one line, exit 4 (a transport failure), while the destination applies nothing and
 * waits on for the real source.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsMigrationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final List<MigrateProcess> started = new ArrayList<>();
    private TestPki pki;
    private TestPki.Ca ca;
    private Path trust;
    private Path password;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.in(tmp);
        ca = pki.ca("migration CA");
        trust = pki.trustStore("trust", ca);
        password = Files.writeString(tmp.resolve("password"), TestPki.PASSWORD + "\n");
    }

    @AfterEach
    void killLeftovers() {
        started.forEach(MigrateProcess::destroy);
    }

    private List<String> tls(Path keys, String peer) {
        return List.of("--tls-keystore", keys.toString(), "--tls-keystore-password-file", password.toString(),
                "--tls-truststore", trust.toString(), "--tls-truststore-password-file", password.toString(),
                "--tls-peer", peer);
    }

    private MigrateProcess start(String name, List<String> args) throws Exception {
        MigrateProcess p = MigrateProcess.start(tmp, name, args.toArray(new String[0]));
        started.add(p);
        return p;
    }

    private MigrateProcess destination(String timeoutSeconds) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "0", "--json", "--timeout-s", timeoutSeconds));
        args.addAll(tls(pki.keyStore("destination", ca.issue("destination", "dst.example")), "src.example"));
        return start("destination", args);
    }

    private MigrateProcess source(String name, Path keys, int port) throws Exception {
        List<String> args = new ArrayList<>(List.of("--to", "127.0.0.1:" + port, "--json", "--timeout-s", "10"));
        args.addAll(tls(keys, "dst.example"));
        return start(name, args);
    }

    private static void assertEnds(MigrateProcess p, int code, MigrateProcess... all) throws InterruptedException {
        assertTrue(p.awaitExit(WAIT), p.name + " did not end within " + WAIT + MigrateProcess.diagnostics(all));
        assertEquals(code, p.process.exitValue(), p.name + " exit code" + MigrateProcess.diagnostics(all));
    }

    /** Both sides completed, and the destination holds exactly the image the source meant to hand over. */
    private static void assertMigrated(MigrateProcess source, MigrateProcess destination, MigrateProcess... all) {
        String d = MigrateProcess.diagnostics(all);
        assertEquals("completed", source.field("outcome"), d);
        assertEquals("completed", destination.field("outcome"), d);
        assertEquals(source.field("expectedDigest"), destination.field("sourcePartDigest"), d);
        assertEquals("true", destination.field("ownWindowsMatch"), d);
        assertEquals(source.number("acceptedP2pWrites") + destination.number("acceptedP2pWrites"),
                destination.number("deviceWrites"), "lost or duplicated P2P writes" + d);
        assertEquals(source.field("carried"), destination.field("carried"), d);
        assertTrue(source.number("carried") > 0, "no held write travelled" + d);
    }

    /** The refused source's one line: exit 2, the destination's refusal of its certificate, nothing else said. */
    private static void assertRefusedAtConnect(MigrateProcess intruder, int port, MigrateProcess... all) {
        String d = MigrateProcess.diagnostics(all);
        assertEquals("", intruder.stdout(), d);
        String err = intruder.stderr();
        assertEquals(1, err.lines().count(), "expected one line" + d);
        assertTrue(err.startsWith("mmio-mediator: --to 127.0.0.1:" + port + ": cannot connect: TLS peer "
                + "/127.0.0.1:" + port + " (CN=destination) refused: it refused this side's certificate "
                + "(CN=intruder)"), d);
    }

    @Test
    void aTlsMigrationCompletesAndTheDigestsAgree() throws Exception {
        MigrateProcess destination = destination("30");
        int port = destination.awaitPort(WAIT);
        assertTrue(destination.stderr().contains("listening on 127.0.0.1:" + port + " (TLS, as CN=destination)"),
                destination.stderr());
        MigrateProcess source = source("source", pki.keyStore("source", ca.issue("source", "src.example")), port);
        assertEnds(source, 0, source, destination);
        assertEnds(destination, 0, source, destination);
        assertMigrated(source, destination, source, destination);
    }

    @Test
    void aSourceFromARogueCaIsRefusedAtConnectAndTheRealSourceMigratesAfterIt() throws Exception {
        MigrateProcess destination = destination("30");
        int port = destination.awaitPort(WAIT);
        TestPki.Ca rogue = pki.ca("rogue CA");
        MigrateProcess intruder = source("intruder", pki.keyStore("intruder", rogue.issue("intruder",
                "src.example")), port);
        assertEnds(intruder, Main.EXIT_TRANSPORT, intruder, destination);
        assertRefusedAtConnect(intruder, port, intruder, destination);
        String refusal = destination.awaitStderr("destination: refused a connection from /127.0.0.1:", WAIT, intruder);
        assertTrue(refusal.contains("(CN=intruder) refused: its certificate, issued by CN=rogue CA, is not vouched "
                + "for by trust store " + trust), MigrateProcess.diagnostics(intruder, destination));
        assertTrue(destination.process.isAlive(), "the destination gave up" + MigrateProcess.diagnostics(destination));
        assertFalse(destination.stderr().contains("destination: 0000:"), "a device moved"
                + MigrateProcess.diagnostics(intruder, destination));

        MigrateProcess source = source("source", pki.keyStore("source", ca.issue("source", "src.example")), port);
        assertEnds(source, 0, intruder, source, destination);
        assertEnds(destination, 0, intruder, source, destination);
        assertMigrated(source, destination, intruder, source, destination);
    }

    @Test
    void aSourceWithAnotherNameIsRefusedAtConnectAndTheDestinationEndsUnchangedAtItsTimeout() throws Exception {
        MigrateProcess destination = destination("8");
        long listening = System.nanoTime();
        int port = destination.awaitPort(WAIT);
        MigrateProcess intruder = source("intruder", pki.keyStore("intruder", ca.issue("intruder",
                "intruder.example")), port);
        assertEnds(intruder, Main.EXIT_TRANSPORT, intruder, destination);
        assertRefusedAtConnect(intruder, port, intruder, destination);
        // the refusal must be counted before the deadline: a JVM started on a loaded machine can take seconds
        destination.awaitStderr("destination: refused a connection from /127.0.0.1:", WAIT, intruder);
        assertEnds(destination, 0, intruder, destination);
        long ms = (System.nanoTime() - listening) / 1_000_000;
        System.out.printf("TlsMigrationTest: the destination ended %d ms after it was started (--timeout-s 8)%n", ms);
        String d = MigrateProcess.diagnostics(intruder, destination);
        assertTrue(ms >= 8_000 && ms < 20_000, ms + " ms" + d);
        assertEquals("refused", destination.field("outcome"), d);
        assertEquals("no source presented a valid stream header within 8 s (1 connections refused)",
                destination.field("reason"), d);
        assertEquals("true", destination.field("unchanged"), d);
        assertTrue(destination.stderr().contains("(CN=intruder) refused: its certificate names [intruder, "
                + "intruder.example]; expected one of the accepted peer names [src.example]"), d);
        assertFalse(destination.stderr().contains("destination: 0000:"), "a device moved" + d);
    }
}
