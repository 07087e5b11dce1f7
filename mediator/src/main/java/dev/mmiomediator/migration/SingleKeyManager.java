package dev.mmiomediator.migration;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The key store's one key, offered whatever CAs the peer says it trusts, so that a peer that will refuse it sees
 * it (and can name it in its refusal) instead of an empty certificate message.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {
    private final String alias;
    private final PrivateKey key;
    final X509Certificate[] chain;

    private SingleKeyManager(String alias, PrivateKey key, X509Certificate[] chain) {
        this.alias = alias;
        this.key = key;
        this.chain = chain;
    }

    static SingleKeyManager of(Path file, KeyStore ks, char[] password) throws GeneralSecurityException {
        List<String> keyAliases = new ArrayList<>();
        int certificates = 0;
        for (String a : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(a)) {
                keyAliases.add(a);
            } else if (ks.isCertificateEntry(a)) {
                certificates++;
            }
        }
        if (keyAliases.size() != 1) {
            throw new IllegalArgumentException("key store " + file + ": " + (keyAliases.isEmpty()
                    ? "no private key entry (" + certificates + " certificate entries)"
                    : keyAliases.size() + " private key entries " + new TreeSet<>(keyAliases))
                    + "; expected exactly one, this side's key with its certificate chain");
        }
        String a = keyAliases.get(0);
        PrivateKey key;
        try {
            key = (PrivateKey) ks.getKey(a, password);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("key store " + file + ": the key '" + a + "' does not open with "
                    + "the store's password; expected key and store to share one password");
        }
        Certificate[] c = ks.getCertificateChain(a);
        if (key == null || c == null || c.length == 0) {
            throw new IllegalArgumentException("key store " + file + ": entry '" + a + "' has no private key "
                    + "with a certificate chain; expected this side's key with its certificate chain");
        }
        X509Certificate[] chain = new X509Certificate[c.length];
        for (int i = 0; i < c.length; i++) {
            if (!(c[i] instanceof X509Certificate x)) {
                throw new IllegalArgumentException("key store " + file + ": entry '" + a + "' holds a "
                        + c[i].getType() + " certificate; expected X.509");
            }
            chain[i] = x;
        }
        return new SingleKeyManager(a, key, chain);
    }

    private String ifType(String keyType) {
        return key.getAlgorithm().equals(keyType) ? alias : null;
    }

    private String ifAnyType(String[] keyTypes) {
        if (keyTypes != null) {
            for (String t : keyTypes) {
                if (ifType(t) != null) {
                    return alias;
                }
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return ifType(keyType) == null ? null : new String[] {alias};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ifAnyType(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return ifAnyType(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return ifType(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return ifType(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String a) {
        return alias.equals(a) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String a) {
        return alias.equals(a) ? key : null;
    }
}
