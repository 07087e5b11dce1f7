package dev.mmiomediator.migration;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for the blocking reads and writes of a {@link MigrationChannel}: every read or write must make progress
 * within an idle timeout, and all of them must be done by an overall deadline. A blocked socket write has no
 * timeout of its own in Java (and a slow peer can keep every single read short), so an alarm on one shared timer
 * thread closes the channel when a call overruns; the call then fails with a {@link Timeout} that says which limit
 * was hit. The same works for sockets, TLS sockets and in-memory pipes.
 *
 * <p>Thread-safe: the limits may be changed by the thread that uses the channel between its calls.
 */
final class Deadlines {
    /** A read or write that did not progress in time, or an exchange that did not finish by its deadline. */
    static final class Timeout extends InterruptedIOException {
        private static final long serialVersionUID = 1L;

        Timeout(String message) {
            super(message);
        }
    }

    /** The one timer thread of every migration deadline (the TLS handshake's too). */
    static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "migration-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private final Closeable resource;
    private final String peer;
    private volatile long idleNanos;
    private volatile long deadline;
    private volatile String deadlineWhat;
    private volatile String fired;

    /**
     * @param resource closed when a limit is hit
     * @param peer     who the other side is, for messages
     */
    Deadlines(Closeable resource, String peer, Duration idle, Duration overall, String overallWhat) {
        this.resource = Objects.requireNonNull(resource, "resource");
        this.peer = peer;
        limit(idle, overall, overallWhat);
    }

    /**
     * Sets new limits from now: each call must progress within {@code idle}, all must be done within
     * {@code overall}, which {@code what} names in the message ("the stream", "the reply").
     */
    void limit(Duration idle, Duration overall, String what) {
        if (idle.isNegative() || idle.isZero() || overall.isNegative() || overall.isZero()) {
            throw new IllegalArgumentException("timeouts " + idle + " and " + overall + ", expected both positive");
        }
        this.idleNanos = idle.toNanos();
        this.deadline = System.nanoTime() + overall.toNanos();
        this.deadlineWhat = what + " within " + human(overall);
    }

    /** Arms the alarm for one call; close the returned guard when the call returns. */
    Guard arm() throws Timeout {
        check();
        long now = System.nanoTime();
        long idleEnd = now + idleNanos;
        boolean byIdle = idleEnd - deadline < 0;
        long at = byIdle ? idleEnd : deadline;
        String why = byIdle ? "no progress with " + peer + " for " + human(Duration.ofNanos(idleNanos))
                : "did not finish " + deadlineWhat + " (" + peer + ")";
        ScheduledFuture<?> alarm = TIMER.schedule(() -> fire(why), Math.max(0, at - now), TimeUnit.NANOSECONDS);
        return new Guard(alarm);
    }

    private void fire(String why) {
        fired = why;
        try {
            resource.close();
        } catch (IOException | RuntimeException e) {
            // closing is all the alarm can do; the blocked call fails either way
        }
    }

    /** Throws if a limit was hit. */
    void check() throws Timeout {
        String why = fired;
        if (why == null && System.nanoTime() - deadline >= 0) {
            fire("did not finish " + deadlineWhat + " (" + peer + ")");
            why = fired;
        }
        if (why != null) {
            throw new Timeout(why);
        }
    }

    /** {@code e}, or the timeout that caused it. */
    IOException explain(IOException e) {
        String why = fired;
        if (why == null || e instanceof Timeout) {
            return e;
        }
        Timeout t = new Timeout(why);
        t.initCause(e);
        return t;
    }

    /** One armed call. */
    final class Guard implements AutoCloseable {
        private final ScheduledFuture<?> alarm;

        Guard(ScheduledFuture<?> alarm) {
            this.alarm = alarm;
        }

        @Override
        public void close() {
            alarm.cancel(false);
        }
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** {@code in} with every read under these deadlines. */
    InputStream guard(InputStream in) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                try (Guard g = arm()) {
                    return in.read();
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try (Guard g = arm()) {
                    return in.read(b, off, len);
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public int available() throws IOException {
                return in.available();
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** {@code out} with every write and flush under these deadlines. */
    OutputStream guard(OutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                try (Guard g = arm()) {
                    out.write(b);
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int done = 0; done < len; ) { // pieces, so that a slow but moving peer is not idle
                    int n = Math.min(len - done, 1 << 16);
                    try (Guard g = arm()) {
                        out.write(b, off + done, n);
                    } catch (IOException e) {
                        throw explain(e);
                    }
                    done += n;
                }
            }

            @Override
            public void flush() throws IOException {
                try (Guard g = arm()) {
                    out.flush();
                } catch (IOException e) {
                    throw explain(e);
                }
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}
