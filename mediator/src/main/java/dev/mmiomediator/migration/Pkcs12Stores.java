package dev.mmiomediator.migration;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;

/** Reads the PKCS#12 key and trust stores of {@link MigrationTls}, with errors that say what the file is instead. */
final class Pkcs12Stores {
    private Pkcs12Stores() {
    }

    /**
     * The store in {@code file}, opened with {@code password}.
     *
     * @param what {@code key store} or {@code trust store}, for messages
     * @throws IllegalArgumentException naming the file and what is wrong with it (missing, JKS, PEM, wrong password)
     */
    static KeyStore read(String what, Path file, char[] password) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + ": no such file; expected a PKCS#12 file");
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + file + ": cannot read: " + e);
        }
        if (bytes.length == 0 || bytes[0] != 0x30) {
            throw new IllegalArgumentException(what + " " + file + ": not a PKCS#12 file (" + looksLike(bytes)
                    + "); expected a .p12 from keytool -storetype PKCS12 or openssl pkcs12 -export");
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(bytes), password);
            return ks;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException(what + " " + file + ": wrong password (the store's integrity "
                        + "check failed)");
            }
            throw new IllegalArgumentException(what + " " + file + ": not a readable PKCS#12 file: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " " + file + ": cannot load: " + e.getMessage());
        }
    }

    private static String looksLike(byte[] b) {
        if (b.length == 0) {
            return "it is empty";
        }
        if (b.length >= 4 && (b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xed && (b[2] & 0xff) == 0xfe
                && (b[3] & 0xff) == 0xed) {
            return "it is a JKS store: convert with keytool -importkeystore -deststoretype PKCS12";
        }
        if (b[0] == '-') {
            return "it looks like PEM: bundle it with openssl pkcs12 -export";
        }
        return String.format("first byte 0x%02x, expected 0x30", b[0] & 0xff);
    }
}
