package dev.mmiomediator.policy;

/**
 * What a {@link P2pPolicy} decides for one P2P access (docs/policies.md). Immutable and thread-safe.
 */
public enum Decision {
    /** The target accepts the access: perform it on the device. */
    FORWARD,
    /** Master abort, as on a system without P2P: reads return all-ones, writes are dropped, logged once. */
    FAIL,
    /**
     * Keep the access and replay it exactly once, in order, when the target accepts again (on this side, or on the
     * destination when the migration stream carries it). For posted writes only; the engine treats QUEUE for a
     * read as a policy bug, and forwards a QUEUE'd write at once if the target accepts and nothing is held for it.
     */
    QUEUE,
    /**
     * Cancel the migration through the {@link MigrationControl}; the access is then completed once the target
     * accepts again, without loss: a write is held and replayed like {@link #QUEUE}, a read waits (bounded) and is
     * then forwarded.
     */
    ABORT_MIGRATION
}
