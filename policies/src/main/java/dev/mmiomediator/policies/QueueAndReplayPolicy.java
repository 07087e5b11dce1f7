package dev.mmiomediator.policies;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyOption;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.policy.PolicyProvider;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code queue-and-replay}: posted writes to a device that cannot take them are kept and replayed later.
 *
 * <p>Contract: {@link #decide} returns
 * <ul>
 *   <li>{@link Decision#FORWARD} when the target's state accepts inbound MMIO (RUNNING, RUNNING_P2P, PRE_COPY,
 *       PRE_COPY_P2P), for reads and writes;</li>
 *   <li>otherwise (STOP, STOP_COPY, RESUMING, ERROR) {@link Decision#QUEUE} for a write, and the
 *       {@linkplain ReadFallback read fallback} for a read: {@link Decision#ABORT_MIGRATION} (the default) or
 *       {@link Decision#FAIL};</li>
 * </ul>
 * whatever the initiator, P2P support or phase. With the {@link dev.mmiomediator.policy.PolicyEngine}, a queued
 * write is held in the target's bounded queue and replayed exactly once, in order, as soon as the target accepts
 * again: on this side (the migration was cancelled, or the device restarted), or on the destination when the
 * migration stream carries the queue; no later access to the same target overtakes it (a later write queues
 * behind it, a later read waits for the replay or takes its fallback). A write that finds the queue full is not
 * dropped: the engine asks the migration control to abort ({@code P2P_ABORT_MIGRATION}) and the write waits for
 * room, then is queued, or forwarded if the target accepts again by then; only if no room comes within the
 * engine's {@link dev.mmiomediator.policy.PolicyEngine.Settings#maxWait() maxWait} is it refused with
 * {@code P2P_ABORT_MIGRATION|ERROR|P2P_FAILED}, so the initiator knows it did not land. A write once queued is
 * never discarded. A read with the abort fallback asks for an abort, waits for the target (at most maxWait) and
 * is then forwarded after the held writes; with the fail fallback it returns all-ones at once.
 *
 * <p>Option {@code read-fallback}: {@code abort} (default) or {@code fail}. Immutable and thread-safe.
 */
public final class QueueAndReplayPolicy implements P2pPolicy {
    /** The name it is selected by. */
    public static final String NAME = "queue-and-replay";
    /** Its one-line description. */
    public static final String DESCRIPTION = "forward while the target accepts; otherwise queue posted writes and "
            + "replay them exactly once, in order, when it accepts again (reads: abort the migration, or fail)";
    /** The option that chooses the read fallback. */
    public static final String READ_FALLBACK = "read-fallback";

    /** What a read to a target that does not accept gets. */
    public enum ReadFallback {
        /** Cancel the migration; the read waits for the target and is then forwarded. */
        ABORT(Decision.ABORT_MIGRATION),
        /** Master abort: the read returns all-ones at once. */
        FAIL(Decision.FAIL);

        private final Decision decision;

        ReadFallback(Decision decision) {
            this.decision = decision;
        }

        /** The option value, e.g. {@code abort}. */
        public String optionValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final ReadFallback readFallback;

    /** The policy with the default read fallback, {@link ReadFallback#ABORT}. */
    public QueueAndReplayPolicy() {
        this(ReadFallback.ABORT);
    }

    /** The policy with {@code readFallback}. */
    public QueueAndReplayPolicy(ReadFallback readFallback) {
        this.readFallback = Objects.requireNonNull(readFallback, "read fallback");
    }

    /** The read fallback. */
    public ReadFallback readFallback() {
        return readFallback;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return DESCRIPTION;
    }

    @Override
    public Decision decide(P2pRequest request) {
        if (request.targetAccepts()) {
            return Decision.FORWARD;
        }
        return request.write() ? Decision.QUEUE : readFallback.decision;
    }

    @Override
    public String toString() {
        return NAME + " (" + READ_FALLBACK + "=" + readFallback.optionValue() + ")";
    }

    /** Finds {@link QueueAndReplayPolicy} by name; option {@code read-fallback=abort|fail}. */
    @PolicyInfo(name = NAME, description = DESCRIPTION)
    @PolicyOption(name = READ_FALLBACK, description = "what a read gets while its target does not accept: abort "
            + "cancels the migration and the read waits for the target, fail returns all-ones at once",
            defaultValue = "abort", allowed = {"abort", "fail"})
    public static final class Provider implements PolicyProvider {
        /** For {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return DESCRIPTION;
        }

        /**
         * @throws IllegalArgumentException naming the option and value if an option is unknown or its value is not
         *                                  {@code abort} or {@code fail}
         */
        @Override
        public P2pPolicy create(Map<String, String> options) {
            Objects.requireNonNull(options, "options of policy " + NAME);
            String value = Policies.options(this, options).get(READ_FALLBACK);   // declared: abort or fail
            for (ReadFallback f : ReadFallback.values()) {
                if (f.optionValue().equals(value)) {
                    return new QueueAndReplayPolicy(f);
                }
            }
            throw new IllegalStateException("policy '" + NAME + "': " + READ_FALLBACK + "=" + value
                    + " is declared but has no read fallback");
        }
    }
}
