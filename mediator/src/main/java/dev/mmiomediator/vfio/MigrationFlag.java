package dev.mmiomediator.vfio;

import java.util.Locale;
import java.util.Set;

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

    /** The flag of that name ({@code "p2p"} or {@code " P2P "} alike), or null if there is none. */
    public static MigrationFlag named(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        for (MigrationFlag f : values()) {
            if (f.name().equals(upper)) {
                return f;
            }
        }
        return null;
    }

    /** The uapi bits of {@code flags}, OR-ed. */
    public static int bits(Set<MigrationFlag> flags) {
        int bits = 0;
        for (MigrationFlag f : flags) {
            bits |= f.bit();
        }
        return bits;
    }
}
