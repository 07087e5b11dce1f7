package dev.mmiomediator.migration;

import dev.mmiomediator.policy.MigrationControl;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link MigrationControl} a migration hands the policy engine: it only records the first reason to cancel
 * (and counts requests); the orchestrator checks it between steps and cancels on its own thread, never on the
 * accessing thread. Thread-safe; only {@link #await} blocks.
 */
public final class AbortSwitch implements MigrationControl {
    private final AtomicReference<String> reason = new AtomicReference<>();
    private final AtomicLong requests = new AtomicLong();
    /** Notified when the first reason is given. */
    private final Object asked = new Object();

    @Override
    public void requestAbort(String why) {
        requests.incrementAndGet();
        if (reason.compareAndSet(null, why)) {
            synchronized (asked) {
                asked.notifyAll();
            }
        }
    }

    /**
     * Waits at most {@code timeout} for a reason to cancel.
     *
     * @return the first reason given, or null if nobody asked in time
     */
    public String await(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (asked) {
            for (;;) {
                String why = reason.get();
                long left = end - System.nanoTime();
                if (why != null || left <= 0) {
                    return why;
                }
                TimeUnit.NANOSECONDS.timedWait(asked, left);
            }
        }
    }

    /** Asks for a cancellation on the user's behalf. */
    public void cancel(String why) {
        requestAbort(why);
    }

    /** The first reason given, or null if nobody asked. */
    public String reason() {
        return reason.get();
    }

    /** How many times a cancellation was asked. */
    public long requests() {
        return requests.get();
    }

    /** Forgets the reason (a new migration attempt starts). */
    public void clear() {
        reason.set(null);
    }
}
