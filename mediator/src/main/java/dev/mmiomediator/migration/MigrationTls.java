package dev.mmiomediator.migration;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Mutually authenticated TLS for the migration channel, with the JDK's JSSE only: QEMU's {@code tls-creds-x509}
 * (a key, its certificate, the CAs to trust) and {@code tls-authz} (the peers let in) in one object.
 *
 * <p><b>What is authenticated.</b> Both sides, always. Each side presents the one private key and certificate chain
 * of its PKCS#12 key store, and accepts the other side only if the other's certificate chains to a CA certificate
 * in its PKCS#12 trust store (PKIX: signatures, validity dates, basic constraints, key usage) and, when the set of
 * accepted peer names is not empty, the certificate names one of them. The destination (server) requires a client
 * certificate; the source (client) checks the destination's certificate the same way. With an empty set of names
 * any certificate the trust store vouches for is let in: then the trust store alone decides, so give migration its
 * own CA. The host name the source connects to is not checked against the destination's certificate; name the
 * destination in the source's accepted peers instead.
 *
 * <p><b>Which names are matched.</b> Every {@code CN} attribute of the certificate's subject and every DNS name
 * ({@code dNSName}) among its subject alternative names; a peer is let in if any of them equals an accepted name
 * exactly: case-sensitive, no wildcard expansion (a certificate for {@code *.example} matches only the accepted name
 * {@code *.example}), IP-address alternative names ignored.
 *
 * <p><b>Protocol.</b> TLS 1.3 only: both ends are this program on Java 17 or later, so no older version is needed.
 * Because in TLS 1.3 the client's handshake is complete before the server has checked the client's certificate,
 * the server confirms that it let the client in with one byte, {@code 0x06} (ASCII ACK), which the client's
 * {@link #handshake} reads; so a refused source learns it in {@link #connect}, not halfway through its stream.
 *
 * <p><b>What a refused peer sees.</b> A TLS alert ({@code certificate_unknown} when its certificate was refused),
 * then a closed connection; on its side {@link #connect} or {@link #handshake} throws {@link PeerRefusedException}.
 * The side that refused throws {@link PeerRefusedException} too, naming the peer's address, its certificate subject
 * and why; the application never gets a socket from which to read a refused peer's bytes. A peer that connects and
 * sends nothing, too little or no TLS at all is refused when the handshake timeout is up.
 *
 * <p><b>Note:</b> immutable and thread-safe; one instance can serve any number of sockets.
 */
public final class MigrationTls {
    /** The one protocol version enabled. */
    public static final String PROTOCOL = "TLSv1.3";

    /** The byte the server sends after the handshake to tell the client it was let in. */
    static final int ACCEPTED = 0x06;

    private final SSLContext context;
    private final Set<String> acceptedPeers;
    private final Path trustStore;
    private final String subject;

    private MigrationTls(SSLContext context, Set<String> acceptedPeers, Path trustStore, String subject) {
        this.context = context;
        this.acceptedPeers = acceptedPeers;
        this.trustStore = trustStore;
        this.subject = subject;
    }

    /**
     * Loads the credentials. The passwords are read, not kept; clearing the arrays afterwards is the caller's.
     *
     * @param keyStore a PKCS#12 file with exactly one private key entry: this side's key and certificate chain
     * @param keyPass the key store's password, also the key's (as keytool makes PKCS#12 stores)
     * @param trustStore a PKCS#12 file with at least one trusted certificate: the CAs that sign the peers'
     * @param trustPass the trust store's password
     * @param acceptedPeers the peer names let in (see the class comment); empty to let in any certificate the trust
     *     store vouches for
     * @throws IllegalArgumentException naming the file and what is wrong with it: missing, not PKCS#12, wrong
     *     password, not exactly one private key entry, no trusted certificate; or a blank accepted name
     */
    public static MigrationTls load(Path keyStore, char[] keyPass, Path trustStore, char[] trustPass,
            Set<String> acceptedPeers) {
        Objects.requireNonNull(keyPass, "keyPass");
        Objects.requireNonNull(trustPass, "trustPass");
        Set<String> peers = Set.copyOf(acceptedPeers);
        for (String p : peers) {
            if (p.isBlank()) {
                throw new IllegalArgumentException("accepted peer name '" + p + "' is blank; expected a CN or DNS name");
            }
        }
        KeyStore keys = Pkcs12Stores.read("key store", keyStore, keyPass);
        KeyStore trust = Pkcs12Stores.read("trust store", trustStore, trustPass);
        try {
            SingleKeyManager km = SingleKeyManager.of(keyStore, keys, keyPass);
            List<String> anchors = new ArrayList<>();
            for (String alias : Collections.list(trust.aliases())) {
                if (trust.isCertificateEntry(alias)) {
                    anchors.add(alias);
                }
            }
            if (anchors.isEmpty()) {
                throw new IllegalArgumentException("trust store " + trustStore + ": no trusted certificate entry; "
                        + "expected the CA certificates that sign the peers' certificates (keytool -importcert; "
                        + "a store made by openssl pkcs12 needs -jdktrust anyExtendedKeyUsage)");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            X509ExtendedTrustManager pkix = null;
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    pkix = x;
                }
            }
            if (pkix == null) {
                throw new IllegalStateException("the JDK's PKIX TrustManagerFactory gave no X509ExtendedTrustManager");
            }
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(new KeyManager[] {km}, new TrustManager[] {new PeerTrustManager(pkix, peers, trustStore)}, null);
            return new MigrationTls(ctx, peers, trustStore, km.chain[0].getSubjectX500Principal().getName());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up " + PROTOCOL + " with key store " + keyStore
                    + " and trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    /** The peer names let in; empty when any certificate the trust store vouches for is. */
    public Set<String> acceptedPeers() {
        return acceptedPeers;
    }

    /** The subject of this side's own certificate (RFC 2253), for messages. */
    public String subject() {
        return subject;
    }

    /**
     * A TLS server socket (destination) that requires a client certificate. Accept on it with {@link #accept}; a
     * socket from its plain {@code accept()} is not yet authenticated until passed to {@link #handshake}.
     *
     * @param bind the local address, or null for all of them
     */
    public SSLServerSocket serverSocket(int port, int backlog, InetAddress bind) throws IOException {
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(port, backlog, bind);
        SSLParameters p = server.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setNeedClientAuth(true);
        server.setSSLParameters(p);
        return server;
    }

    /**
     * Waits for one authenticated peer on {@code server} (from {@link #serverSocket}) for at most {@code wait}:
     * each peer that is refused is handed to {@code refused} and the wait goes on, so that a stranger who connects
     * first cannot keep the real source out.
     *
     * @return the authenticated socket, its read timeout as it was on accept (none unless set on the server)
     * @throws SocketTimeoutException if no peer was let in within {@code wait}
     */
    public SSLSocket accept(ServerSocket server, Duration wait, Duration handshakeTimeout,
            Consumer<PeerRefusedException> refused) throws IOException {
        if (!(server instanceof SSLServerSocket)) {
            throw new IllegalArgumentException("server socket " + server + " is not TLS; expected one from serverSocket()");
        }
        long deadline = System.nanoTime() + wait.toNanos();
        int oldTimeout = server.getSoTimeout();
        try {
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new SocketTimeoutException("no TLS peer let in within " + format(wait));
                }
                server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                SSLSocket s = (SSLSocket) server.accept();
                try {
                    handshake(s, handshakeTimeout);
                    return s;
                } catch (PeerRefusedException e) {
                    refused.accept(e);
                }
            }
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("no TLS peer let in within " + format(wait));
        } finally {
            if (!server.isClosed()) {
                server.setSoTimeout(oldTimeout);
            }
        }
    }

    /**
     * Runs the TLS handshake on {@code s} (either side) within {@code timeout} in all, checks the peer's name, and
     * exchanges the acceptance byte (see the class comment). The socket's read timeout is put back afterwards. On
     * failure the socket is closed.
     *
     * @throws PeerRefusedException if the peer was refused, refused this side, spoke no TLS, or was too slow
     */
    public void handshake(SSLSocket s, Duration timeout) throws IOException {
        String peer = String.valueOf(s.getRemoteSocketAddress());
        long millis = Math.max(1, timeout.toMillis());
        AtomicBoolean expired = new AtomicBoolean();
        // the read timeout alone would let a peer that trickles one byte at a time hold the handshake for days
        ScheduledFuture<?> watchdog = Deadlines.TIMER.schedule(() -> {
            expired.set(true);
            closeQuietly(s);
        }, millis, TimeUnit.MILLISECONDS);
        boolean client = s.getUseClientMode();
        try {
            int oldTimeout = s.getSoTimeout();
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
            s.startHandshake();
            // again here: a resumed session does not pass through the trust manager
            SSLSession session = s.getSession();
            X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
            String problem = PeerTrustManager.nameProblem(leaf, acceptedPeers);
            if (problem != null) {
                throw new PeerRefusedException(peer, leaf.getSubjectX500Principal().getName(), problem, null);
            }
            if (client) {
                awaitAcceptance(s, peer, leaf);
            } else {
                OutputStream out = s.getOutputStream();
                out.write(ACCEPTED);
                out.flush();
            }
            if (!watchdog.cancel(false)) {
                throw new SocketTimeoutException("deadline");
            }
            s.setSoTimeout(oldTimeout);
        } catch (PeerRefusedException e) {
            watchdog.cancel(false);
            closeQuietly(s);
            throw e;
        } catch (IOException e) {
            watchdog.cancel(false);
            closeQuietly(s);
            throw refusal(peer, e, expired.get(), timeout, client);
        }
    }

    private void awaitAcceptance(SSLSocket s, String peer, X509Certificate leaf) throws IOException {
        String theirs = leaf.getSubjectX500Principal().getName();
        int b;
        try {
            b = s.getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // an alert, or a reset when the peer closed with this side's last handshake bytes unread
            throw new PeerRefusedException(peer, theirs, "it refused this side's certificate (" + subject + "): "
                    + e.getMessage(), e);
        }
        if (b < 0) {
            throw new PeerRefusedException(peer, theirs, "it closed the connection after the handshake instead of "
                    + "accepting this side (" + subject + ")", null);
        }
        if (b != ACCEPTED) {
            throw new PeerRefusedException(peer, theirs, String.format("expected the acceptance byte 0x%02x after "
                    + "the handshake, got 0x%02x: is the peer an mmio-mediator destination with TLS?", ACCEPTED, b), null);
        }
    }

    private PeerRefusedException refusal(String peer, IOException e, boolean expired, Duration timeout,
            boolean client) {
        String what = client ? "server" : "client";
        if (expired || e instanceof SocketTimeoutException) {
            return new PeerRefusedException(peer, null, "no complete TLS handshake within " + format(timeout), e);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PeerTrustManager.Refusal r) {
                return new PeerRefusedException(peer, r.subject, r.getMessage(), e);
            }
        }
        String msg = String.valueOf(e.getMessage());
        if (msg.startsWith("Received fatal alert")) {
            return new PeerRefusedException(peer, null, "it refused this side's certificate (" + subject
                    + ") or the handshake: " + msg, e);
        }
        if (msg.contains("Unsupported or unrecognized SSL message")) {
            return new PeerRefusedException(peer, null, "not a TLS " + what + " (" + msg + ")", e);
        }
        if (e instanceof SocketException && !(e instanceof SSLException)) {
            return new PeerRefusedException(peer, null, "the connection broke during the TLS handshake (" + msg
                    + "); the peer may have refused this side's certificate (" + subject + ")", e);
        }
        if (msg.startsWith("Empty") && msg.contains("certificate chain")) {
            return new PeerRefusedException(peer, null, "it sent no certificate (" + msg + ")", e);
        }
        return new PeerRefusedException(peer, null, "TLS handshake failed: " + e, e);
    }

    /**
     * Connects to a destination (source side): TCP connect within {@code timeout}, then {@link #handshake} within
     * {@code timeout} again. The socket's read timeout is left at {@code timeout}.
     *
     * @throws PeerRefusedException if either side refused the other
     */
    public SSLSocket connect(String host, int port, Duration timeout) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            SSLParameters p = s.getSSLParameters();
            p.setProtocols(new String[] {PROTOCOL});
            s.setSSLParameters(p);
            s.setUseClientMode(true);
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
            s.connect(new InetSocketAddress(host, port), millis);
            s.setSoTimeout(millis);
        } catch (IOException e) {
            closeQuietly(s);
            throw e;
        }
        handshake(s, timeout);
        return s;
    }

    /**
     * The subject (RFC 2253) of the certificate the peer of {@code s} authenticated with, for messages; a short
     * phrase instead when there is none (a plain socket, or a TLS one whose handshake is not done, which this does
     * not start).
     */
    public static String describePeer(Socket s) {
        if (!(s instanceof SSLSocket ssl)) {
            return "no certificate (plain TCP)";
        }
        if (ssl.getApplicationProtocol() == null) { // null until the handshake is done, and it does not start one
            return "no certificate yet (TLS handshake not done)";
        }
        try {
            Certificate[] chain = ssl.getSession().getPeerCertificates();
            return chain[0] instanceof X509Certificate x ? x.getSubjectX500Principal().getName() : chain[0].getType();
        } catch (SSLPeerUnverifiedException e) {
            return "no certificate (peer not authenticated)";
        }
    }

    /**
     * Whether a server bound to {@code bind} can be reached from beyond this host: anything but a loopback address
     * (the wildcard {@code 0.0.0.0} or {@code ::} included). A destination listening so without TLS lets anyone who
     * can reach the port load device state and write into device BARs: warn.
     */
    public static boolean reachableBeyondLoopback(InetAddress bind) {
        return bind == null || !bind.isLoopbackAddress();
    }

    /** The names of {@code cert} that {@link MigrationTls} matches: its subject's CNs, then its DNS alternative names. */
    public static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String cn) {
                    names.add(cn);
                }
            }
        } catch (InvalidNameException e) {
            // an X500Principal's RFC 2253 form always parses; no CN then
        }
        try {
            Collection<List<?>> alt = cert.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> entry : alt) {
                    if (Integer.valueOf(2).equals(entry.get(0)) && entry.get(1) instanceof String dns) {
                        names.add(dns);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unparsable SAN extension names nothing
        }
        return names;
    }

    private static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing to give up on the peer: nothing more to do
        }
    }
}
