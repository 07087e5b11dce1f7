package dev.mmiomediator.migration;

import dev.mmiomediator.policy.EngineLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Waits on a server socket for the one source of a {@link DestinationMigration}, on terms: connections are taken
 * side by side, each on its own thread, and each must present a valid stream header naming this VM within the
 * {@linkplain #MigrationListener handshake timeout} (after its TLS handshake, if the {@link Handshake} does one). The
 * first that does becomes the migration's source and gets the destination's transfer deadline; until it is done,
 * every other connection is refused with {@code REFUSED busy}. A connection that sends nothing, garbage, a stream
 * for another VM, or closes, is refused and closed, and the listener goes on waiting for the real source. The
 * listener ends when the migration it handed a source to ends (completed or refused), or when no source has
 * presented a valid header by the listen deadline.
 *
 * <p><b>Note:</b> one {@link #serve} per instance.
 */
public final class MigrationListener {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationListener.class);

    /** What to do with an accepted socket before its stream is read: a TLS handshake, or nothing. */
    @FunctionalInterface
    public interface Handshake {
        /**
         * @return the socket to read the stream from
         * @throws IOException if the peer is refused (the socket is then closed)
         */
        Socket accept(Socket socket, Duration timeout) throws IOException;

        /** No handshake: plain TCP. */
        Handshake NONE = (socket, timeout) -> socket;
    }

    private final ServerSocket server;
    private final Handshake handshake;
    private final Duration handshakeTimeout;
    private final int maxPending;
    private final Consumer<String> progress;
    private final AtomicLong refusedConnections = new AtomicLong();

    /**
     * @param server           bound, not yet accepting; closed by {@link #serve}
     * @param handshakeTimeout how long a connection has for its TLS handshake and its stream's header
     * @param maxPending       how many connections may be in their handshake at once; more are closed at once
     */
    public MigrationListener(ServerSocket server, Handshake handshake, Duration handshakeTimeout, int maxPending,
                             Consumer<String> progress) {
        this.server = Objects.requireNonNull(server, "server");
        this.handshake = Objects.requireNonNull(handshake, "handshake");
        DestinationMigration.positive(handshakeTimeout, "handshake timeout");
        this.handshakeTimeout = handshakeTimeout;
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending " + maxPending + ", expected at least 1");
        }
        this.maxPending = maxPending;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    private volatile String stopped;

    /**
     * Stops waiting for a source (the migration was given up on the other side, say): {@link #serve} then returns
     * {@code refused} with {@code why}, unless a source has already claimed the migration, which then runs to its
     * end. Thread-safe.
     */
    public void stop(String why) {
        stopped = Objects.requireNonNull(why, "why");
        try {
            server.close();
        } catch (IOException e) {
            // closing is all there is to do
        }
    }

    /** Connections refused so far (before their header, or busy). */
    public long refusedConnections() {
        return refusedConnections.get();
    }

    /**
     * Serves {@code destination}: waits at most {@code listen} for a source that presents a valid header, then runs
     * its migration to the end. Closes the server socket.
     *
     * @return the migration's result, or {@code refused} if no source came in time
     */
    public MigrationResult serve(DestinationMigration destination, Duration listen) throws InterruptedException {
        DestinationMigration.positive(listen, "listen timeout");
        CompletableFuture<MigrationResult> result = new CompletableFuture<>();
        AtomicBoolean claimed = new AtomicBoolean();
        Semaphore pending = new Semaphore(maxPending);
        long deadline = System.nanoTime() + listen.toNanos();
        String gaveUp = null;
        try (server) {
            while (!result.isDone()) {
                Socket socket;
                try {
                    if (!claimed.get()) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            if (claimed.compareAndSet(false, true)) {
                                gaveUp = "no source presented a valid stream header within " + Deadlines.human(listen);
                                break; // a header that completes now is answered busy, never served
                            }
                            continue; // a source claimed just now: it is served, and ends the loop
                        }
                        server.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                    } else {
                        server.setSoTimeout(0); // the claimant closes the socket when it is done: bounded by it
                    }
                    socket = server.accept();
                } catch (SocketTimeoutException e) {
                    continue; // the deadline is checked above; a claim in between is not missed
                } catch (SocketException e) {
                    if (result.isDone()) {
                        break;
                    }
                    if (stopped != null) {
                        if (claimed.compareAndSet(false, true)) { // else a source claimed first: it is served
                            gaveUp = "stopped waiting for a source: " + stopped;
                        }
                        break;
                    }
                    throw new IllegalStateException("listening on " + server.getLocalSocketAddress() + " failed: "
                            + e.getMessage(), e);
                } catch (IOException e) {
                    throw new IllegalStateException("listening on " + server.getLocalSocketAddress() + " failed: "
                            + e.getMessage(), e);
                }
                if (!pending.tryAcquire()) {
                    refusedConnections.incrementAndGet();
                    progress.accept("destination: closed a connection from " + socket.getRemoteSocketAddress()
                            + ": " + maxPending + " connections are already in their handshake");
                    closeQuietly(socket);
                    continue;
                }
                Thread t = new Thread(() -> {
                    LOG.debug("destination: accepted a connection from {}", socket.getRemoteSocketAddress());
                    try (EngineLog.Scope side = EngineLog.side("destination")) { // the engine's replays here
                        connection(socket, destination, claimed, result, pending);
                    } catch (RuntimeException | Error e) {
                        result.completeExceptionally(e);
                        closeQuietly(server);
                    }
                }, "migration-connection-" + socket.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException e) {
            // closing the server socket
        }
        if (gaveUp != null) {
            // A connection accepted before the deadline may still be in its handshake: now that the claim is taken
            // it is refused (busy) as soon as its handshake ends, so wait for it, bounded, and count it.
            boolean settled = pending.tryAcquire(maxPending, 2 * handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return destination.refusal(gaveUp + " (" + refusedConnections.get() + " connections refused"
                    + (settled ? "" : ", others still in their handshake after " + Deadlines.human(handshakeTimeout))
                    + ")");
        }
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the migration failed: " + e.getCause(), e.getCause());
        }
    }

    private void connection(Socket accepted, DestinationMigration destination, AtomicBoolean claimed,
                            CompletableFuture<MigrationResult> result, Semaphore pending) {
        String peer = String.valueOf(accepted.getRemoteSocketAddress());
        boolean mine = false;
        try {
            GuardedChannel channel;
            DestinationMigration.Incoming incoming;
            try {
                Socket socket = handshake.accept(accepted, handshakeTimeout);
                channel = new GuardedChannel(MigrationChannel.of(socket), handshakeTimeout, handshakeTimeout,
                        "the stream's header");
            } catch (IOException e) {
                refused(peer, "handshake failed: " + e.getMessage());
                closeQuietly(accepted);
                return;
            }
            try (channel) {
                if (claimed.get()) {
                    busy(channel, peer);
                    return;
                }
                try {
                    incoming = destination.open(channel);
                } catch (DestinationMigration.Refused e) {
                    refused(peer, e.getMessage());
                    reply(channel, "REFUSED " + e.getMessage());
                    return;
                } catch (IOException e) {
                    refused(peer, e.getMessage());
                    return;
                }
                if (!claimed.compareAndSet(false, true)) {
                    incoming.staging.close();
                    busy(channel, peer);
                    return;
                }
                mine = true;
                pending.release();
                progress.accept("destination: source " + peer + " sent a valid header for '"
                        + incoming.header.vm() + "' (" + incoming.header.streamBytes() + " bytes announced)");
                channel.limit(destination.settings().idle(), destination.settings().transfer(), "the stream");
                result.complete(destination.receive(incoming));
            }
        } catch (IOException e) {
            if (mine && !result.isDone()) {
                result.complete(destination.refusal("transport failure: " + e.getMessage()));
            }
        } finally {
            if (!mine) {
                pending.release();
            } else {
                closeQuietly(server); // wakes the accept loop, which sees the result
            }
        }
    }

    private void busy(MigrationChannel channel, String peer) {
        refused(peer, "another source is migrating");
        reply(channel, "REFUSED busy: another source is migrating to this destination");
    }

    private void refused(String peer, String why) {
        refusedConnections.incrementAndGet();
        progress.accept("destination: refused a connection from " + peer + ": " + why);
    }

    private static void reply(MigrationChannel channel, String line) {
        try {
            channel.reply(line.length() > 1000 ? line.substring(0, 1000) + "..." : line);
        } catch (IOException e) {
            // the peer is gone; nothing to tell it
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
