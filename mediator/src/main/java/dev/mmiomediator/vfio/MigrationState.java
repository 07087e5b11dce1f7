package dev.mmiomediator.vfio;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A VFIO device migration state ({@code enum vfio_device_mig_state}, migration protocol v2), declared in
 * uapi order so that {@link #ordinal()} equals {@link #uapi()}.
 *
 * <p>What each state allows (the uapi's FSM comment; docs/vfio-migration.md):
 * <pre>
 *                 accepts inbound MMIO  may initiate DMA  must not be touched  saving  resuming
 *   ERROR                                                  yes
 *   STOP                                                   yes
 *   RUNNING       yes                   yes
 *   STOP_COPY                                              yes                  yes
 *   RESUMING                                               yes                          yes
 *   RUNNING_P2P   yes
 *   PRE_COPY      yes                   yes                                     yes
 *   PRE_COPY_P2P  yes                                                           yes
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
public enum MigrationState {
    /** The device failed an arc and must be reset; never a valid current or requested state. */
    ERROR(0, ~0),
    /** Stopped: no DMA, no interrupts, must not be accessed. */
    STOP(1, MigrationFlag.STOP_COPY.bit()),
    /** Fully operational. */
    RUNNING(2, MigrationFlag.STOP_COPY.bit()),
    /** Stopped, and streaming its state to the saving session. */
    STOP_COPY(3, MigrationFlag.STOP_COPY.bit()),
    /** Stopped, and loading its state from the resuming session. */
    RESUMING(4, MigrationFlag.STOP_COPY.bit()),
    /** Running, but initiating no new (P2P) DMA; still accepts incoming accesses. */
    RUNNING_P2P(5, MigrationFlag.STOP_COPY.bit() | MigrationFlag.P2P.bit()),
    /** Running, with a saving session open that tracks internal state changes. */
    PRE_COPY(6, MigrationFlag.STOP_COPY.bit() | MigrationFlag.PRE_COPY.bit()),
    /** PRE_COPY, but initiating no new (P2P) DMA; still accepts incoming accesses. */
    PRE_COPY_P2P(7, MigrationFlag.STOP_COPY.bit() | MigrationFlag.P2P.bit() | MigrationFlag.PRE_COPY.bit());

    private static final MigrationState[] BY_UAPI = values();
    private static final String NAMES = Arrays.stream(BY_UAPI).map(Enum::name).collect(Collectors.joining(", "));

    private final int uapi;
    private final int requiredFlagBits;

    MigrationState(int uapi, int requiredFlagBits) {
        this.uapi = uapi;
        this.requiredFlagBits = requiredFlagBits;
    }

    /** The uapi number ({@code VFIO_DEVICE_STATE_*}). */
    public int uapi() {
        return uapi;
    }

    /**
     * The state with uapi number {@code value}.
     *
     * @throws IllegalArgumentException naming the value if it is not 0 to 7
     */
    public static MigrationState fromUapi(int value) {
        if (value < 0 || value >= BY_UAPI.length) {
            throw new IllegalArgumentException("migration state number " + value + ": expected 0 to "
                    + (BY_UAPI.length - 1) + " (" + NAMES + ")");
        }
        return BY_UAPI[value];
    }

    /**
     * The state named {@code text}, case-insensitively.
     *
     * @throws IllegalArgumentException naming the text and listing the valid names
     */
    public static MigrationState parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        for (MigrationState s : BY_UAPI) {
            if (s.name().equals(t)) {
                return s;
            }
        }
        throw new IllegalArgumentException("migration state '" + text + "': expected one of " + NAMES);
    }

    /**
     * The kernel's {@code state_flags_table[]} entry: the flag bits a device needs to support this state.
     * For {@link #ERROR} every bit is set ({@code ~0U}), undefined ones included, so no device supports it.
     */
    public int requiredFlagBits() {
        return requiredFlagBits;
    }

    /** The flags a device needs to support this state; empty for {@link #ERROR}, which no device supports. */
    public Optional<MigrationFlags> requiredFlags() {
        return this == ERROR ? Optional.empty() : Optional.of(MigrationFlags.fromBits(requiredFlagBits));
    }

    /** Whether the device accepts MMIO from others (vCPUs, peers): RUNNING, PRE_COPY and their P2P twins. */
    public boolean acceptsInboundMmio() {
        return this == RUNNING || this == PRE_COPY || this == RUNNING_P2P || this == PRE_COPY_P2P;
    }

    /** Whether the device may initiate DMA, P2P included: RUNNING and PRE_COPY only. */
    public boolean mayInitiateDma() {
        return this == RUNNING || this == PRE_COPY;
    }

    /** Whether no access may reach the device (config space and MSI-X aside): STOP, STOP_COPY, RESUMING, ERROR. */
    public boolean mustNotBeTouched() {
        return this == STOP || this == STOP_COPY || this == RESUMING || this == ERROR;
    }

    /** Whether the state is in the kernel's "saving group", which shares one data transfer session. */
    public boolean isSaving() {
        return this == PRE_COPY || this == PRE_COPY_P2P || this == STOP_COPY;
    }

    /** Whether the device is loading its state (RESUMING). */
    public boolean isResuming() {
        return this == RESUMING;
    }
}
