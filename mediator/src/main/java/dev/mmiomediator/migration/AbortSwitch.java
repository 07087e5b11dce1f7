package dev.mmiomediator.migration;

import dev.mmiomediator.policy.MigrationControl;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link MigrationControl} a migration hands the policy engine: it only records the first reason to cancel
 * (and counts requests); the orchestrator checks it between steps and cancels on its own thread, never on the
 * accessing thread. Thread-safe and non-blocking.
 */
public final class AbortSwitch implements MigrationControl {
    private final AtomicReference<String> reason = new AtomicReference<>();
    private final AtomicLong requests = new AtomicLong();

    @Override
    public void requestAbort(String why) {
        requests.incrementAndGet();
        reason.compareAndSet(null, why);
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
