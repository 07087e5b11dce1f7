package dev.mmiomediator.vfio;

import dev.mmiomediator.pci.PciAddress;

/**
 * A driver failed an arc or a reset. The device is in ERROR afterwards and needs a
 * {@link PassthroughDevice#reset()}.
 */
public final class MigrationDriverException extends RuntimeException {
    private final PciAddress device;
    private final MigrationState from;
    private final MigrationState to;

    MigrationDriverException(String message, PciAddress device, MigrationState from, MigrationState to,
            Throwable cause) {
        super(message, cause);
        this.device = device;
        this.from = from;
        this.to = to;
    }

    /** The device that failed. */
    public PciAddress device() {
        return device;
    }

    /** The state the device was in when the arc (or reset) started. */
    public MigrationState from() {
        return from;
    }

    /** The state the arc was heading to; RUNNING for a reset. */
    public MigrationState to() {
        return to;
    }
}
