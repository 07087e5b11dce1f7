package dev.mmiomediator.vfio.sim;

import dev.mmiomediator.vfio.MigrationState;

/**
 * One MMIO access a {@link SimulatedPassthroughDevice} received.
 *
 * <p>Immutable and thread-safe.
 *
 * @param initiator who made it, e.g. {@code vcpu0} or {@code virtio-net}
 * @param bar       the BAR index
 * @param offset    the offset inside the BAR
 * @param size      the access size in bytes: 1, 2, 4 or 8
 * @param write     whether it is a write
 * @param value     the value written or read; 0 for a read the device refused
 * @param state     the device's (hardware) migration state when the access arrived
 */
public record MmioAccess(String initiator, int bar, long offset, int size, boolean write, long value,
        MigrationState state) {
    /** E.g. {@code virtio-net write 4 bytes at BAR 0 + 0x10 = 0x1 in RUNNING}. */
    @Override
    public String toString() {
        return initiator + (write ? " write " : " read ") + size + " bytes at BAR " + bar + " + 0x"
                + Long.toHexString(offset) + " = 0x" + Long.toHexString(value) + " in " + state;
    }
}
