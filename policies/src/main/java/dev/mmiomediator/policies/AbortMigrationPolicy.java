package dev.mmiomediator.policies;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyOptions;
import dev.mmiomediator.policy.P2pRequest;

/**
 * {@code abort-migration}: a P2P access to a device that cannot take it cancels the migration.
 *
 * <p>Contract: {@link #decide} returns {@link Decision#FORWARD} when the target's state accepts inbound MMIO
 * (RUNNING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P) and {@link Decision#ABORT_MIGRATION} otherwise (STOP,
 * STOP_COPY, RESUMING, ERROR), for reads and writes alike, whatever the initiator, P2P support or phase. With the
 * {@link dev.mmiomediator.policy.PolicyEngine}, an abort asks the migration control once per access, then
 * completes the access once the target accepts again: a write is held and replayed exactly once, in order
 * ({@code P2P_ABORT_MIGRATION|P2P_QUEUED}); a read waits, at most the engine's
 * {@link dev.mmiomediator.policy.PolicyEngine.Settings#maxWait() maxWait}, and is then forwarded
 * ({@code P2P_ABORT_MIGRATION|P2P_FORWARDED}). If the target does not accept within maxWait (for a write: if its
 * queue stays full that long), the access gets {@code P2P_ABORT_MIGRATION|ERROR|P2P_FAILED} (a read all-ones, a
 * write not performed), so the initiator always knows; a held write is never discarded, and no access reaches a
 * device that must not be touched. Takes no options. Immutable and thread-safe.
 */
public final class AbortMigrationPolicy implements P2pPolicy {
    /** The name it is selected by. */
    public static final String NAME = "abort-migration";
    /** Its one-line description. */
    public static final String DESCRIPTION = "forward while the target accepts; otherwise cancel the migration and "
            + "complete the access once the target accepts again";

    /** The policy. */
    public AbortMigrationPolicy() {
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
        return request.targetAccepts() ? Decision.FORWARD : Decision.ABORT_MIGRATION;
    }

    @Override
    public String toString() {
        return NAME;
    }

    /** Finds {@link AbortMigrationPolicy} by name; takes no options. */
    @PolicyInfo(name = NAME, description = DESCRIPTION)
    @PolicyOptions({})
    public static final class Provider extends NoOptionsProvider {
        /** For {@link java.util.ServiceLoader}. */
        public Provider() {
            super(NAME, DESCRIPTION, AbortMigrationPolicy::new);
        }
    }
}
