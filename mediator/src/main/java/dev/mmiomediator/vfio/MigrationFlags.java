package dev.mmiomediator.vfio;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The migration capabilities of a VFIO device ({@code VFIO_DEVICE_FEATURE_MIGRATION}), and so the states
 * it supports: a state is supported when the device has every flag it needs
 * ({@link MigrationState#requiredFlagBits()}); {@link MigrationState#ERROR} never is.
 *
 * <p>{@link MigrationFlag#STOP_COPY} is mandatory, which leaves exactly the four flag sets the uapi defines:
 * {@link #STOP_COPY_ONLY}, {@link #WITH_P2P}, {@link #WITH_PRE_COPY} and {@link #ALL}.
 *
 * <p>Immutable and thread-safe.
 */
public final class MigrationFlags {
    private static final int KNOWN_BITS = MigrationFlag.STOP_COPY.bit() | MigrationFlag.P2P.bit()
            | MigrationFlag.PRE_COPY.bit();
    private static final MigrationFlags[] BY_BITS = new MigrationFlags[KNOWN_BITS + 1];

    static {
        for (int bits = 0; bits <= KNOWN_BITS; bits++) {
            if ((bits & MigrationFlag.STOP_COPY.bit()) != 0) {
                BY_BITS[bits] = new MigrationFlags(bits);
            }
        }
    }

    /** {@code STOP_COPY}: STOP, RUNNING, STOP_COPY and RESUMING. */
    public static final MigrationFlags STOP_COPY_ONLY = BY_BITS[MigrationFlag.STOP_COPY.bit()];
    /** {@code STOP_COPY|P2P}: adds RUNNING_P2P. */
    public static final MigrationFlags WITH_P2P = BY_BITS[MigrationFlag.STOP_COPY.bit() | MigrationFlag.P2P.bit()];
    /** {@code STOP_COPY|PRE_COPY}: adds PRE_COPY. */
    public static final MigrationFlags WITH_PRE_COPY =
            BY_BITS[MigrationFlag.STOP_COPY.bit() | MigrationFlag.PRE_COPY.bit()];
    /** {@code STOP_COPY|P2P|PRE_COPY}: every state but ERROR. */
    public static final MigrationFlags ALL = BY_BITS[KNOWN_BITS];

    private final int bits;

    private MigrationFlags(int bits) {
        this.bits = bits;
    }

    /** The four flag sets the uapi defines, in the order of their bits. */
    public static List<MigrationFlags> uapiFlagSets() {
        return List.of(STOP_COPY_ONLY, WITH_P2P, WITH_PRE_COPY, ALL);
    }

    /**
     * The flag set with uapi bits {@code bits}.
     *
     * @throws IllegalArgumentException naming the bits if an unknown bit is set or STOP_COPY is missing
     */
    public static MigrationFlags fromBits(int bits) {
        if ((bits & ~KNOWN_BITS) != 0) {
            throw new IllegalArgumentException("migration flags 0x" + Integer.toHexString(bits) + ": unknown bits 0x"
                    + Integer.toHexString(bits & ~KNOWN_BITS) + " (known: STOP_COPY=0x1, P2P=0x2, PRE_COPY=0x4)");
        }
        if ((bits & MigrationFlag.STOP_COPY.bit()) == 0) {
            throw new IllegalArgumentException("migration flags 0x" + Integer.toHexString(bits)
                    + ": STOP_COPY is mandatory for every migratable device");
        }
        return BY_BITS[bits];
    }

    /**
     * Parses a list of flag names separated by {@code ,} or {@code |}, case-insensitively, e.g.
     * {@code STOP_COPY,P2P}.
     *
     * @throws IllegalArgumentException naming the text if a name is unknown or repeated, or STOP_COPY is missing
     */
    public static MigrationFlags parse(String text) {
        int bits = 0;
        for (String part : text.split("[,|]", -1)) {
            MigrationFlag flag = MigrationFlag.named(part);
            if (flag == null) {
                throw new IllegalArgumentException("migration flags '" + text + "': unknown flag '" + part.trim()
                        + "', expected a comma-separated list of STOP_COPY, P2P, PRE_COPY");
            }
            if ((bits & flag.bit()) != 0) {
                throw new IllegalArgumentException("migration flags '" + text + "': " + flag + " given twice");
            }
            bits |= flag.bit();
        }
        if ((bits & MigrationFlag.STOP_COPY.bit()) == 0) {
            throw new IllegalArgumentException("migration flags '" + text
                    + "': STOP_COPY is mandatory for every migratable device");
        }
        return BY_BITS[bits];
    }

    /** The uapi bits. */
    public int bits() {
        return bits;
    }

    /** Whether {@code flag} is set. */
    public boolean has(MigrationFlag flag) {
        return (bits & flag.bit()) != 0;
    }

    /** The flags, in bit order. */
    public Set<MigrationFlag> flags() {
        EnumSet<MigrationFlag> set = EnumSet.noneOf(MigrationFlag.class);
        for (MigrationFlag f : MigrationFlag.values()) {
            if (has(f)) {
                set.add(f);
            }
        }
        return set;
    }

    /** Whether a device with these flags supports {@code state}: it has every flag the state needs. */
    public boolean supports(MigrationState state) {
        int needed = state.requiredFlagBits();
        return (bits & needed) == needed;
    }

    /** The supported states, in uapi order. */
    public List<MigrationState> supportedStates() {
        List<MigrationState> out = new ArrayList<>();
        for (MigrationState s : MigrationState.values()) {
            if (supports(s)) {
                out.add(s);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MigrationFlags && ((MigrationFlags) o).bits == bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    /** The flag names in bit order, comma-separated, e.g. {@code STOP_COPY,P2P}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (MigrationFlag f : MigrationFlag.values()) {
            if (has(f)) {
                sb.append(sb.length() == 0 ? "" : ",").append(f.name());
            }
        }
        return sb.toString();
    }
}
