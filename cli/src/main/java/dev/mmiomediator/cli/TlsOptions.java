package dev.mmiomediator.cli;

import dev.mmiomediator.migration.MigrationTls;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The {@code --tls-*} options of {@code migrate}, a picocli mixin ({@code @Mixin TlsOptions tls;}): QEMU's
 * {@code tls-creds-x509} and {@code tls-authz} as files. {@link #tls()} turns them into a {@link MigrationTls}, or
 * null when none was given (plain TCP).
 *
 * <p>Passwords are read from files, never taken on the command line or from the environment: a command line is
 * readable by every user of the host ({@code ps}, {@code /proc/PID/cmdline}) and is kept in shell history, and the
 * environment is inherited by every child process and often logged by supervisors, whereas a file can be made
 * readable by its owner only ({@code chmod 600}); QEMU likewise reads its secrets from files
 * ({@code -object secret,file=...}).
 */
final class TlsOptions {
    @Option(names = "--tls-keystore", paramLabel = "FILE",
            description = "Speak TLS 1.3 with this PKCS#12 key store: this side's private key and certificate "
                    + "chain (exactly one key entry). Needs --tls-truststore and both password files.")
    Path keyStore;

    @Option(names = "--tls-keystore-password-file", paramLabel = "FILE",
            description = "A file whose first line is the key store's password (also the key's).")
    Path keyStorePasswordFile;

    @Option(names = "--tls-truststore", paramLabel = "FILE",
            description = "PKCS#12 trust store: the CA certificates that must sign the peer's certificate.")
    Path trustStore;

    @Option(names = "--tls-truststore-password-file", paramLabel = "FILE",
            description = "A file whose first line is the trust store's password.")
    Path trustStorePasswordFile;

    @Option(names = "--tls-peer", paramLabel = "NAME",
            description = "Let in only a peer whose certificate has NAME as its subject CN or a DNS name, exactly "
                    + "(case-sensitive, no wildcards); repeatable. Default: any certificate the trust store vouches for.")
    List<String> peers = new ArrayList<>();

    /** Whether any {@code --tls-*} option was given. */
    boolean given() {
        return keyStore != null || keyStorePasswordFile != null || trustStore != null || trustStorePasswordFile != null
                || !peers.isEmpty();
    }

    /**
     * The TLS this side is to speak, or null for plain TCP when no {@code --tls-*} option was given.
     *
     * @throws BadInputException naming the option and file at fault: a missing companion option, an unreadable or
     *     empty password file, a blank peer name, or a store that does not load (see {@link MigrationTls#load})
     */
    MigrationTls tls() {
        if (!given()) {
            return null;
        }
        if (keyStore == null) {
            throw new BadInputException(firstGiven() + " needs --tls-keystore FILE: TLS is on only with this side's key");
        }
        if (trustStore == null) {
            throw new BadInputException("--tls-keystore " + keyStore + " needs --tls-truststore FILE: the CA "
                    + "certificates that must sign the peer's certificate");
        }
        if (keyStorePasswordFile == null) {
            throw new BadInputException("--tls-keystore " + keyStore + " needs --tls-keystore-password-file FILE "
                    + "(passwords are read from files, never from the command line)");
        }
        if (trustStorePasswordFile == null) {
            throw new BadInputException("--tls-truststore " + trustStore + " needs --tls-truststore-password-file FILE "
                    + "(passwords are read from files, never from the command line)");
        }
        for (String p : peers) {
            if (p.isBlank()) {
                throw new BadInputException("--tls-peer '" + p + "': expected a certificate's CN or DNS name");
            }
        }
        char[] keyPass = password("--tls-keystore-password-file", keyStorePasswordFile);
        char[] trustPass = password("--tls-truststore-password-file", trustStorePasswordFile);
        try {
            return MigrationTls.load(keyStore, keyPass, trustStore, trustPass, new LinkedHashSet<>(peers));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (m.endsWith("wrong password (the store's integrity check failed)")) {
                m += m.startsWith("trust store ") ? " with the password in --tls-truststore-password-file "
                        + trustStorePasswordFile : " with the password in --tls-keystore-password-file "
                        + keyStorePasswordFile;
            }
            throw new BadInputException(m);
        } finally {
            Arrays.fill(keyPass, '\0');
            Arrays.fill(trustPass, '\0');
        }
    }

    /**
     * The warning a destination should print before it listens on {@code bind} without TLS where others can reach
     * it (see {@link MigrationTls#reachableBeyondLoopback}), or null when it is on loopback or TLS is on.
     */
    String plainListenWarning(InetAddress bind) {
        if (keyStore != null || !MigrationTls.reachableBeyondLoopback(bind)) {
            return null;
        }
        String where = bind == null ? "all addresses" : bind.getHostAddress();
        return "warning: listening on " + where + " without TLS: anyone who can reach the port can load device "
                + "state and write into device BARs; use --tls-keystore and --tls-truststore, or --bind 127.0.0.1";
    }

    private String firstGiven() {
        if (keyStorePasswordFile != null) {
            return "--tls-keystore-password-file " + keyStorePasswordFile;
        }
        if (trustStore != null) {
            return "--tls-truststore " + trustStore;
        }
        if (trustStorePasswordFile != null) {
            return "--tls-truststore-password-file " + trustStorePasswordFile;
        }
        return "--tls-peer " + peers.get(0);
    }

    /** The first line of {@code file}, without its line ending. */
    private static char[] password(String option, Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInputException(option + " " + file + ": no such file");
        } catch (MalformedInputException e) {
            throw new BadInputException(option + " " + file + ": not UTF-8 text; expected the password on its first line");
        } catch (IOException e) {
            throw new BadInputException(option + " " + file + ": cannot read: " + e);
        }
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            throw new BadInputException(option + " " + file + ": the first line is empty; expected the password there");
        }
        return line.toCharArray();
    }
}
