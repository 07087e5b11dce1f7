package dev.mmiomediator.migration;

import java.io.IOException;

/**
 * No authenticated TLS connection came about with a migration peer: the handshake failed, timed out, or the peer's
 * certificate was refused (by this side, or this side's by the peer). Thrown by {@link MigrationTls}; the message
 * names the peer's address, its certificate subject when one was seen, and the reason.
 */
public final class PeerRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String peer;
    private final String subject;

    PeerRefusedException(String peer, String subject, String reason, Throwable cause) {
        super("TLS peer " + peer + (subject == null ? "" : " (" + subject + ")") + " refused: " + reason, cause);
        this.peer = peer;
        this.subject = subject;
    }

    /** The peer's address, e.g. {@code /127.0.0.1:51234}. */
    public String peer() {
        return peer;
    }

    /** The subject of the peer's certificate (RFC 2253), or null when no certificate was seen. */
    public String subject() {
        return subject;
    }
}
