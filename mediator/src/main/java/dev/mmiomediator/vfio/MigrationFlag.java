package dev.mmiomediator.vfio;

/**
 * One bit of {@code struct vfio_device_feature_migration.flags}: a migration capability of a VFIO device.
 *
 * <p>Immutable and thread-safe.
 */
public enum MigrationFlag {
    /** {@code VFIO_MIGRATION_STOP_COPY}: the mandatory STOP, RUNNING, STOP_COPY and RESUMING states. */
    STOP_COPY(1),
    /** {@code VFIO_MIGRATION_P2P}: the RUNNING_P2P state (and PRE_COPY_P2P with {@link #PRE_COPY}). */
    P2P(1 << 1),
    /** {@code VFIO_MIGRATION_PRE_COPY}: the PRE_COPY state (and PRE_COPY_P2P with {@link #P2P}). */
    PRE_COPY(1 << 2);

    private final int bit;

    MigrationFlag(int bit) {
        this.bit = bit;
    }

    /** The uapi bit value. */
    public int bit() {
        return bit;
    }
}
