package dev.mmiomediator.migration;

import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/** PKIX against the trust store, then the accepted names; for both the client's and the server's certificate. */
final class PeerTrustManager extends X509ExtendedTrustManager {
    /** Why this side refused a peer's certificate, carried through JSSE to {@link MigrationTls}'s handshake. */
    static final class Refusal extends CertificateException {
        private static final long serialVersionUID = 1L;

        final String subject;

        Refusal(String subject, String reason, Throwable cause) {
            super(reason, cause);
            this.subject = subject;
        }
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private final X509ExtendedTrustManager pkix;
    private final Set<String> acceptedPeers;
    private final Path trustStore;

    PeerTrustManager(X509ExtendedTrustManager pkix, Set<String> acceptedPeers, Path trustStore) {
        this.pkix = pkix;
        this.acceptedPeers = acceptedPeers;
        this.trustStore = trustStore;
    }

    static String nameProblem(X509Certificate leaf, Set<String> accepted) {
        if (accepted.isEmpty()) {
            return null;
        }
        List<String> names = MigrationTls.names(leaf);
        for (String n : names) {
            if (accepted.contains(n)) {
                return null;
            }
        }
        return "its certificate names " + (names.isEmpty() ? "nothing (no CN, no DNS name)" : names)
                + "; expected one of the accepted peer names " + new TreeSet<>(accepted);
    }

    private void check(X509Certificate[] chain, Check pkixCheck) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new Refusal(null, "it sent no certificate", null);
        }
        String subject = chain[0].getSubjectX500Principal().getName();
        try {
            pkixCheck.run();
        } catch (CertificateException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new Refusal(subject, "its certificate, issued by " + chain[chain.length - 1]
                    .getIssuerX500Principal().getName() + ", is not vouched for by trust store " + trustStore
                    + " (" + root.getMessage() + ")", e);
        }
        String problem = nameProblem(chain[0], acceptedPeers);
        if (problem != null) {
            throw new Refusal(subject, problem, null);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, () -> pkix.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, () -> pkix.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, () -> pkix.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, () -> pkix.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, () -> pkix.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, () -> pkix.checkServerTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
