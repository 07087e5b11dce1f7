package dev.mmiomediator.policy;

/**
 * How the engine cancels a migration when a policy decides {@link Decision#ABORT_MIGRATION}; implemented by
 * {@code dev.mmiomediator.migration.AbortSwitch}, which records the first reason for the source or destination
 * migration to act on from its own thread. Called on the accessing thread, possibly by many threads at once and many
 * times for one migration: implementations must be thread-safe and idempotent, and must not block, because the
 * access waits for the call to return. In particular they must not transition devices on the calling thread: the
 * cancellation (devices back to RUNNING) runs elsewhere, and the access then completes once its target accepts.
 */
@FunctionalInterface
public interface MigrationControl {
    /** A control that ignores requests, for VMs that are never migrated. */
    MigrationControl NONE = reason -> { };

    /**
     * Asks for the current migration, if any, to be cancelled.
     *
     * @param reason why, for logs and the user: names the access and the target's state
     */
    void requestAbort(String reason);
}
