package dev.mmiomediator.policy;

/**
 * What a {@link P2pPolicy} decides for one P2P access (DESIGN section 5). Immutable and thread-safe.
 */
public enum Decision {
    /** The target accepts the access: perform it on the device. */
    FORWARD,
    /** Master abort, as on a system without P2P: reads return all-ones, writes are dropped, logged once. */
    FAIL,
    /**
     * Keep the access and replay it exactly once, in order, when the target accepts again. Meaningful for posted
     * writes only. <b>Not built yet</b>: {@link PolicyEngine} throws {@link UnsupportedOperationException}.
     */
    QUEUE,
    /**
     * Cancel the migration through the {@link MigrationControl}. The design completes the access once the target
     * accepts again; in this version {@link PolicyEngine} master-aborts it after requesting the abort.
     */
    ABORT_MIGRATION
}
