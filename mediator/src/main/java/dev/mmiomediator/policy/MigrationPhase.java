package dev.mmiomediator.policy;

/**
 * Where the VM's migration is, as the VMM sees it, independent of any one device's state: a policy may treat a
 * STOP target differently on the source (about to leave) and on the destination (about to start). The VMM
 * tells the engine ({@link PolicyEngine#setPhase}). Immutable and thread-safe.
 */
public enum MigrationPhase {
    /** No migration in progress: a stopped target is not stopped for migration. */
    NONE,
    /** Source, devices RUNNING or PRE_COPY while RAM is copied; the VM runs. */
    SOURCE_PRE_COPY,
    /** Source, devices being quiesced (RUNNING_P2P / PRE_COPY_P2P, then STOP), one by one. */
    SOURCE_STOPPING,
    /** Source, every device stopped and streaming its state (STOP_COPY). */
    SOURCE_STOP_COPY,
    /** Destination, devices loading their state (RESUMING). */
    DESTINATION_RESUMING,
    /** Destination, devices being started one by one; some may still be RESUMING or STOP. */
    DESTINATION_STARTING;

    /** Whether this phase is on the destination side. */
    public boolean isDestination() {
        return this == DESTINATION_RESUMING || this == DESTINATION_STARTING;
    }
}
