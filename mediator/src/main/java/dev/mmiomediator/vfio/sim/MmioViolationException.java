package dev.mmiomediator.vfio.sim;

/**
 * An MMIO access reached a simulated device in a state that must not be touched (STOP, STOP_COPY, RESUMING,
 * ERROR). On real hardware such a write is lost or corrupts the saved state, and such a read returns garbage;
 * the simulated device refuses it, records it in {@link SimulatedPassthroughDevice#violations()} and throws this.
 */
public final class MmioViolationException extends IllegalStateException {
    private final MmioAccess access;

    MmioViolationException(String message, MmioAccess access) {
        super(message);
        this.access = access;
    }

    /** The refused access. */
    public MmioAccess access() {
        return access;
    }
}
