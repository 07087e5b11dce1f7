package dev.mmiomediator.cli;

import java.io.IOException;

/**
 * The network failed migrate before its migration could start: the peer refused the connection, reset it, timed out
 * or failed the TLS handshake. Printed as one line, exit code {@link Main#EXIT_TRANSPORT}; the socket's
 * {@link IOException} is the cause.
 */
final class TransportException extends RuntimeException {
    TransportException(String message, IOException cause) {
        super(message, cause);
    }
}
