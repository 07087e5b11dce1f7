package dev.mmiomediator.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.fixtures.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MigrationTls} over real loopback sockets with certificates made at test time: who is let in, who is kept
 * out and what each side is told, how long a silent or slow peer can hold the destination, and what a bad store
 * file says.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MigrationTlsTest {
    private static final Duration HANDSHAKE = Duration.ofSeconds(5);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path tmp;

    private ExecutorService threads;
    private TestPki pki;
    private TestPki.Ca ca;
    private TestPki.Ca rogueCa;
    private Path destinationKeys;
    private Path sourceKeys;
    private Path trust;

    @BeforeEach
    void pki() {
        threads = Executors.newCachedThreadPool();
        pki = TestPki.in(tmp);
        ca = pki.ca("migration CA");
        rogueCa = pki.ca("rogue CA");
        destinationKeys = pki.keyStore("destination", ca.issue("destination", "dst.example"));
        sourceKeys = pki.keyStore("source", ca.issue("source", "src.example"));
        trust = pki.trustStore("trust", ca);
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private MigrationTls tls(Path keys, String... peers) {
        return MigrationTls.load(keys, TestPki.password(), trust, TestPki.password(), Set.of(peers));
    }

    /** Accepts one connection on {@code server} and hands it to {@link MigrationTls#handshake}, in the background. */
    private Future<SSLSocket> acceptOne(MigrationTls tls, SSLServerSocket server, Duration handshake) {
        return threads.submit(() -> {
            SSLSocket s = (SSLSocket) server.accept();
            tls.handshake(s, handshake);
            return s;
        });
    }

    private static PeerRefusedException refusal(Future<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(PeerRefusedException.class, e.getCause());
    }

    @Test
    void mutuallyAuthenticatedPeersExchangeBytesBothWays() throws Exception {
        MigrationTls destination = tls(destinationKeys, "src.example");
        MigrationTls source = tls(sourceKeys, "dst.example");
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<String> served = threads.submit(() -> {
                try (SSLSocket s = destination.accept(server, Duration.ofSeconds(10), HANDSHAKE, e -> { })) {
                    byte[] hello = s.getInputStream().readNBytes(5);
                    s.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    return new String(hello, StandardCharsets.US_ASCII) + " from " + MigrationTls.describePeer(s)
                            + " over " + s.getSession().getProtocol();
                }
            });
            try (SSLSocket s = source.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE)) {
                s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertEquals("world", new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
                assertEquals("CN=destination", MigrationTls.describePeer(s));
            }
            assertEquals("hello from CN=source over TLSv1.3", served.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientWithCertificateFromAnUntrustedCaIsRefusedByTheServer() throws Exception {
        MigrationTls destination = tls(destinationKeys, "src.example");
        // same names as the real source, wrong CA: only the trust store can tell them apart
        MigrationTls rogue = tls(pki.keyStore("rogue", rogueCa.issue("source", "src.example")), "dst.example");
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            PeerRefusedException atSource = assertThrows(PeerRefusedException.class,
                    () -> rogue.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            PeerRefusedException atDestination = refusal(served);
            assertEquals("CN=source", atDestination.subject());
            assertTrue(atDestination.getMessage().contains("issued by CN=rogue CA, is not vouched for by trust store "
                    + trust), atDestination.getMessage());
            assertTrue(atDestination.getMessage().startsWith("TLS peer /127.0.0.1:"), atDestination.getMessage());
            // the alert, or a reset or broken pipe when the destination closed with the source's bytes unread
            assertTrue(atSource.getMessage().contains("refused this side's certificate (CN=source)"),
                    atSource.getMessage());
        }
    }

    @Test
    void clientWithTrustedCertificateButUnacceptedNameIsRefusedByTheServer() throws Exception {
        MigrationTls destination = tls(destinationKeys, "src.example");
        MigrationTls stranger = tls(pki.keyStore("stranger", ca.issue("stranger", "stranger.example")));
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            assertThrows(PeerRefusedException.class,
                    () -> stranger.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            PeerRefusedException e = refusal(served);
            assertEquals("CN=stranger", e.subject());
            assertTrue(e.getMessage().contains("its certificate names [stranger, stranger.example]; expected one of "
                    + "the accepted peer names [src.example]"), e.getMessage());
        }
    }

    @Test
    void clientRefusesAServerWhoseNameIsNotAccepted() throws Exception {
        MigrationTls destination = tls(destinationKeys, "src.example");
        MigrationTls source = tls(sourceKeys, "other.example");
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            PeerRefusedException e = assertThrows(PeerRefusedException.class,
                    () -> source.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            assertEquals("CN=destination", e.subject());
            assertTrue(e.getMessage().contains("its certificate names [destination, dst.example]; expected one of "
                    + "the accepted peer names [other.example]"), e.getMessage());
            // the alert, or a reset when the source closed with the destination's last handshake bytes unread
            String atDestination = refusal(served).getMessage();
            assertTrue(atDestination.contains("refused this side's certificate (CN=destination)"), atDestination);
        }
    }

    @Test
    void namesMatchCaseSensitively() throws Exception {
        MigrationTls destination = tls(destinationKeys, "SRC.example");
        MigrationTls source = tls(sourceKeys);
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            assertThrows(PeerRefusedException.class, () -> source.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            assertEquals("CN=source", refusal(served).subject());
        }
    }

    @Test
    void withNoAcceptedNamesAnyCertificateTheTrustStoreVouchesForIsLetIn() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        MigrationTls stranger = tls(pki.keyStore("stranger", ca.issue("stranger")));
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            try (SSLSocket s = stranger.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE);
                 SSLSocket accepted = served.get(10, TimeUnit.SECONDS)) {
                assertEquals("CN=stranger", MigrationTls.describePeer(accepted));
                assertEquals("CN=destination", MigrationTls.describePeer(s));
            }
        }
    }

    @Test
    void expiredClientCertificateIsRefused() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        Instant now = Instant.now();
        MigrationTls expired = tls(pki.keyStore("expired",
                ca.issue("source", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)), "src.example")));
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            assertThrows(PeerRefusedException.class, () -> expired.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            PeerRefusedException e = refusal(served);
            assertEquals("CN=source", e.subject());
            assertTrue(e.getMessage().contains("is not vouched for"), e.getMessage());
        }
    }

    @Test
    void plainTcpClientIsRefusedWellWithinTheHandshakeTimeout() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            Future<SSLSocket> served = acceptOne(destination, server, HANDSHAKE);
            try (Socket plain = new Socket(LOOPBACK, server.getLocalPort())) {
                long start = System.nanoTime();
                plain.getOutputStream().write("MMIOMIG1 device state\n".getBytes(StandardCharsets.US_ASCII));
                plain.getOutputStream().flush();
                PeerRefusedException e = refusal(served);
                assertTrue(System.nanoTime() - start < HANDSHAKE.toNanos(), "refused only after the timeout");
                assertTrue(e.getMessage().contains("not a TLS client"), e.getMessage());
                plain.setSoTimeout(5000);
                int first = plain.getInputStream().read();
                assertTrue(first == -1 || first == 0x15, "expected a TLS alert record or the end, got " + first);
            }
        }
    }

    @Test
    void silentClientDoesNotHoldTheServerPastTheHandshakeTimeout() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        Duration timeout = Duration.ofMillis(500);
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK);
             Socket silent = new Socket(LOOPBACK, server.getLocalPort())) {
            long start = System.nanoTime();
            PeerRefusedException e = refusal(acceptOne(destination, server, timeout));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 3000, "held for " + millis + " ms");
            assertTrue(e.getMessage().contains("no complete TLS handshake within 500 ms"), e.getMessage());
        }
    }

    @Test
    void tricklingClientIsCutOffAtTheHandshakeDeadline() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        Duration timeout = Duration.ofMillis(700);
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK);
             Socket slow = new Socket(LOOPBACK, server.getLocalPort())) {
            Future<SSLSocket> served = acceptOne(destination, server, timeout);
            long start = System.nanoTime();
            // a handshake record header announcing 16 KiB, then one byte per 100 ms: each read is well within 700 ms
            Future<?> trickle = threads.submit(() -> {
                OutputStream out = slow.getOutputStream();
                out.write(new byte[] {0x16, 0x03, 0x01, 0x40, 0x00});
                for (int i = 0; i < 150; i++) {
                    out.write(1);
                    out.flush();
                    Thread.sleep(100);
                }
                return null;
            });
            PeerRefusedException e = refusal(served);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            trickle.cancel(true);
            assertTrue(millis < 3000, "held for " + millis + " ms");
            assertTrue(e.getMessage().contains("no complete TLS handshake within 700 ms"), e.getMessage());
        }
    }

    @Test
    void aRefusedPeerThatComesFirstDoesNotKeepTheRealSourceOut() throws Exception {
        MigrationTls destination = tls(destinationKeys, "src.example");
        MigrationTls source = tls(sourceKeys, "dst.example");
        MigrationTls rogue = tls(pki.keyStore("rogue", rogueCa.issue("source", "src.example")));
        List<PeerRefusedException> refused = new CopyOnWriteArrayList<>();
        try (SSLServerSocket server = destination.serverSocket(0, 2, LOOPBACK)) {
            Future<String> served = threads.submit(() -> {
                try (SSLSocket s = destination.accept(server, Duration.ofSeconds(10), HANDSHAKE, refused::add)) {
                    return MigrationTls.describePeer(s);
                }
            });
            assertThrows(PeerRefusedException.class, () -> rogue.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE));
            try (SSLSocket s = source.connect("127.0.0.1", server.getLocalPort(), HANDSHAKE)) {
                assertEquals("CN=source", served.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, refused.size());
            assertTrue(refused.get(0).getMessage().contains("CN=rogue CA"), refused.get(0).getMessage());
        }
    }

    @Test
    void acceptGivesUpWhenNoPeerIsLetInInTime() throws Exception {
        MigrationTls destination = tls(destinationKeys);
        try (SSLServerSocket server = destination.serverSocket(0, 1, LOOPBACK)) {
            IOException e = assertThrows(IOException.class,
                    () -> destination.accept(server, Duration.ofMillis(300), HANDSHAKE, r -> { }));
            assertEquals("no TLS peer let in within 300 ms", e.getMessage());
        }
    }

    @Test
    void missingKeyStoreIsNamed() {
        Path missing = tmp.resolve("nope.p12");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls(missing));
        assertEquals("key store " + missing + ": no such file; expected a PKCS#12 file", e.getMessage());
    }

    @Test
    void wrongKeyStorePasswordIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationTls.load(
                sourceKeys, "wrong".toCharArray(), trust, TestPki.password(), Set.of()));
        assertEquals("key store " + sourceKeys + ": wrong password (the store's integrity check failed)", e.getMessage());
    }

    @Test
    void wrongTrustStorePasswordIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationTls.load(
                sourceKeys, TestPki.password(), trust, "wrong".toCharArray(), Set.of()));
        assertEquals("trust store " + trust + ": wrong password (the store's integrity check failed)", e.getMessage());
    }

    @Test
    void fileThatIsNotPkcs12IsNamed() throws IOException {
        Path pem = Files.writeString(tmp.resolve("source.pem"), "-----BEGIN CERTIFICATE-----\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls(pem));
        assertTrue(e.getMessage().startsWith("key store " + pem + ": not a PKCS#12 file (it looks like PEM"),
                e.getMessage());
    }

    @Test
    void keyStoreWithoutPrivateKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls(trust));
        assertEquals("key store " + trust + ": no private key entry (1 certificate entries); expected exactly one, "
                + "this side's key with its certificate chain", e.getMessage());
    }

    @Test
    void emptyTrustStoreIsNamed() {
        Path empty = pki.trustStore("empty");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationTls.load(sourceKeys, TestPki.password(), empty, TestPki.password(), Set.of()));
        assertTrue(e.getMessage().startsWith("trust store " + empty + ": no trusted certificate entry; "),
                e.getMessage());
    }

    @Test
    void blankAcceptedNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls(sourceKeys, " "));
        assertEquals("accepted peer name ' ' is blank; expected a CN or DNS name", e.getMessage());
    }

    @Test
    void namesAreTheSubjectCnThenTheDnsAlternativeNames() {
        assertEquals(List.of("source", "src.example", "source.lan"),
                MigrationTls.names(ca.issue("source", "src.example", "source.lan").certificate()));
    }

    @Test
    void onlyLoopbackAddressesAreNotReachableFromBeyondThisHost() throws IOException {
        assertFalse(MigrationTls.reachableBeyondLoopback(InetAddress.getByName("127.0.0.1")));
        assertFalse(MigrationTls.reachableBeyondLoopback(InetAddress.getByName("::1")));
        assertTrue(MigrationTls.reachableBeyondLoopback(InetAddress.getByName("0.0.0.0")));
        assertTrue(MigrationTls.reachableBeyondLoopback(InetAddress.getByName("::")));
        assertTrue(MigrationTls.reachableBeyondLoopback(InetAddress.getByName("192.0.2.7")));
    }

    @Test
    void describePeerOfAPlainSocketSaysThereIsNoCertificate() {
        assertEquals("no certificate (plain TCP)", MigrationTls.describePeer(new Socket()));
    }
}
