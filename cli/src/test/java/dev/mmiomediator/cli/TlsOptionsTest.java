package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.fixtures.tls.TestPki;
import dev.mmiomediator.migration.MigrationTls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The {@code --tls-*} options: what they turn into, and the one-line message for each way they can be wrong. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TlsOptionsTest {
    @TempDir
    Path tmp;

    private Path keys;
    private Path trust;
    private Path password;

    @Command(name = "tls-test")
    static final class Holder {
        @Mixin
        TlsOptions tls;
    }

    @BeforeEach
    void stores() throws IOException {
        TestPki pki = TestPki.in(tmp);
        TestPki.Ca ca = pki.ca("migration CA");
        keys = pki.keyStore("source", ca.issue("source", "src.example"));
        trust = pki.trustStore("trust", ca);
        password = Files.writeString(tmp.resolve("password"), TestPki.PASSWORD + "\n");
    }

    private static TlsOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.tls;
    }

    private List<String> all(String... more) {
        List<String> args = new ArrayList<>(List.of("--tls-keystore", keys.toString(),
                "--tls-keystore-password-file", password.toString(), "--tls-truststore", trust.toString(),
                "--tls-truststore-password-file", password.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static String badInput(TlsOptions o) {
        return assertThrows(BadInputException.class, o::tls).getMessage();
    }

    @Test
    void noTlsOptionMeansPlainTcp() {
        assertNull(parse().tls());
    }

    @Test
    void allFourFilesAndRepeatedPeersMakeTls() {
        MigrationTls tls = parse(all("--tls-peer", "dst.example", "--tls-peer", "dst2.example")
                .toArray(new String[0])).tls();
        assertEquals("CN=source", tls.subject());
        assertEquals(Set.of("dst.example", "dst2.example"), tls.acceptedPeers());
    }

    @Test
    void passwordFileLineEndingIsNotPartOfThePassword() throws IOException {
        Files.writeString(password, TestPki.PASSWORD + "\r\nsecond line is ignored\n");
        assertEquals("CN=source", parse(all().toArray(new String[0])).tls().subject());
    }

    @Test
    void peerWithoutKeyStoreIsBadInput() {
        assertEquals("--tls-peer dst.example needs --tls-keystore FILE: TLS is on only with this side's key",
                badInput(parse("--tls-peer", "dst.example")));
    }

    @Test
    void keyStoreWithoutTrustStoreIsBadInput() {
        assertEquals("--tls-keystore " + keys + " needs --tls-truststore FILE: the CA certificates that must sign "
                + "the peer's certificate", badInput(parse("--tls-keystore", keys.toString(),
                "--tls-keystore-password-file", password.toString())));
    }

    @Test
    void keyStoreWithoutPasswordFileIsBadInput() {
        assertTrue(badInput(parse("--tls-keystore", keys.toString(), "--tls-truststore", trust.toString(),
                "--tls-truststore-password-file", password.toString()))
                .startsWith("--tls-keystore " + keys + " needs --tls-keystore-password-file FILE"));
    }

    @Test
    void missingPasswordFileIsNamed() {
        Path missing = tmp.resolve("no-such-password");
        List<String> args = all();
        args.set(3, missing.toString());
        assertEquals("--tls-keystore-password-file " + missing + ": no such file",
                badInput(parse(args.toArray(new String[0]))));
    }

    @Test
    void emptyPasswordFileIsNamed() throws IOException {
        Files.writeString(password, "\n");
        assertEquals("--tls-keystore-password-file " + password + ": the first line is empty; expected the password "
                + "there", badInput(parse(all().toArray(new String[0]))));
    }

    @Test
    void wrongKeyStorePasswordNamesTheStoreAndThePasswordFile() throws IOException {
        Path wrong = Files.writeString(tmp.resolve("wrong"), "wrong\n");
        List<String> args = all();
        args.set(3, wrong.toString());
        assertEquals("key store " + keys + ": wrong password (the store's integrity check failed) with the password "
                + "in --tls-keystore-password-file " + wrong, badInput(parse(args.toArray(new String[0]))));
    }

    @Test
    void wrongTrustStorePasswordNamesTheStoreAndThePasswordFile() throws IOException {
        Path wrong = Files.writeString(tmp.resolve("wrong"), "wrong\n");
        List<String> args = all();
        args.set(7, wrong.toString());
        assertEquals("trust store " + trust + ": wrong password (the store's integrity check failed) with the "
                + "password in --tls-truststore-password-file " + wrong, badInput(parse(args.toArray(new String[0]))));
    }

    @Test
    void missingKeyStoreFileIsNamed() {
        Path missing = tmp.resolve("missing.p12");
        List<String> args = all();
        args.set(1, missing.toString());
        assertEquals("key store " + missing + ": no such file; expected a PKCS#12 file",
                badInput(parse(args.toArray(new String[0]))));
    }

    @Test
    void blankPeerIsBadInput() {
        assertEquals("--tls-peer ' ': expected a certificate's CN or DNS name",
                badInput(parse(all("--tls-peer", " ").toArray(new String[0]))));
    }

    @Test
    void plainListeningBeyondLoopbackIsWarnedAbout() throws IOException {
        assertTrue(parse().plainListenWarning(InetAddress.getByName("0.0.0.0"))
                .startsWith("warning: listening on 0.0.0.0 without TLS: "));
    }

    @Test
    void plainListeningOnLoopbackIsNotWarnedAbout() throws IOException {
        assertNull(parse().plainListenWarning(InetAddress.getByName("127.0.0.1")));
    }

    @Test
    void listeningWithTlsIsNotWarnedAbout() throws IOException {
        assertNull(parse(all().toArray(new String[0])).plainListenWarning(InetAddress.getByName("0.0.0.0")));
    }
}
