package dev.mmiomediator.migration;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * A two-way byte channel between a migration source and destination: the source writes the migration stream and
 * reads one reply line; the destination reads the stream and writes the reply. Over TCP ({@link #connect},
 * {@link #of} for an accepted socket) or in memory ({@link #inMemoryPair}).
 *
 * <p>The reply is one line of UTF-8: {@code OK crc32c=XXXXXXXX bytes=N} when the destination has loaded and
 * started everything, naming the {@linkplain dev.mmiomediator.migration.stream.StreamDigest digest} of the stream it
 * took (a source counts its held writes as carried only on an {@code OK} that names the stream it sent), or
 * {@code REFUSED <reason>} when it applied nothing (or undid what it did).
 *
 * <p>The channels made here have no timeouts of their own; the orchestrators put every wait on a peer under a
 * deadline with {@link #guarded}.
 */
public interface MigrationChannel extends Closeable {
    /** The bytes from the other side. */
    InputStream in();

    /** The bytes to the other side. */
    OutputStream out();

    /** Who the other side is, for messages. */
    String peer();

    /** Sends the reply line (destination). */
    default void reply(String line) throws IOException {
        out().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out().flush();
    }

    /**
     * Reads the reply line (source), at most 4 KiB; null if the other side closed first.
     *
     * @throws IOException if reading fails (a TCP channel's read timeout included)
     */
    default String readReply() throws IOException {
        StringBuilder line = new StringBuilder();
        InputStream in = in();
        while (line.length() < 4096) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            if (b == '\n') {
                return new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
            line.append((char) b);
        }
        throw new IOException("reply from " + peer() + " longer than 4096 bytes");
    }

    /**
     * {@code channel} with every read and write under deadlines: each must progress within {@code idle}, and all
     * must be done within {@code overall} from now (which {@code what}, say "the stream", names in the message).
     * A call that overruns closes the channel and fails with an {@link java.io.InterruptedIOException} saying
     * which limit it hit.
     */
    static MigrationChannel guarded(MigrationChannel channel, Duration idle, Duration overall, String what) {
        return new GuardedChannel(channel, idle, overall, what);
    }

    /**
     * Connects to a destination listening on {@code host:port}.
     *
     * @param timeout for the connection
     */
    static MigrationChannel connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return of(s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** A channel over a connected socket (TLS too); closing it closes the socket. */
    static MigrationChannel of(Socket socket) throws IOException {
        Objects.requireNonNull(socket, "socket");
        socket.setTcpNoDelay(true);
        return new StreamChannel(socket.getInputStream(),
                new BufferedOutputStream(socket.getOutputStream(), 1 << 16),
                "tcp " + socket.getRemoteSocketAddress(), socket);
    }

    /** Two connected in-memory channels: index 0 for the source, 1 for the destination. */
    static MigrationChannel[] inMemoryPair() throws IOException {
        PipedInputStream toDestination = new PipedInputStream(1 << 20);
        PipedInputStream toSource = new PipedInputStream(1 << 12);
        PipedOutputStream sourceOut = new PipedOutputStream(toDestination);
        PipedOutputStream destinationOut = new PipedOutputStream(toSource);
        return new MigrationChannel[] {
            piped(toSource, sourceOut, "in-memory destination"),
            piped(toDestination, destinationOut, "in-memory source")
        };
    }

    private static MigrationChannel piped(InputStream in, OutputStream out, String peer) {
        return new StreamChannel(in, out, peer, () -> {
            try {
                out.close();
            } finally {
                in.close();
            }
        });
    }
}
