package dev.mmiomediator.policy;

import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;

import java.util.Arrays;
import java.util.Objects;

/**
 * A posted P2P write the {@link PolicyEngine} holds until its target accepts again: what the engine replays, and
 * what a migration stream carries to the destination. Immutable: the bytes are copied in, and {@link #data()}
 * returns the held array, which callers must not modify. Equality compares the bytes.
 *
 * @param sequence  the engine's sequence number, unique per source engine; per target, replay order is queue
 *                  order, which for writes of one initiator is their sequence order
 * @param initiator the id of the initiator that made the write
 * @param device    the target device
 * @param bar       the target BAR index
 * @param offset    where in the BAR the write starts
 * @param data      the bytes, at least one
 */
public record QueuedWrite(long sequence, String initiator, PciAddress device, int bar, long offset, byte[] data) {
    /**
     * Checks the values and copies {@code data}.
     *
     * @throws IllegalArgumentException naming the value if the sequence, BAR, offset or length is out of range
     */
    public QueuedWrite {
        Objects.requireNonNull(initiator, "initiator");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(data, "data");
        if (sequence < 0) {
            throw new IllegalArgumentException("queued write sequence " + sequence + ", expected at least 0");
        }
        if (bar < 0 || bar >= PciBar.COUNT) {
            throw new IllegalArgumentException("queued write to " + device + " BAR " + bar + ", expected BAR 0 to 5");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("queued write to " + device + " BAR " + bar + " at offset "
                    + Size.hex(offset) + ", expected a non-negative offset");
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("queued write to " + device + " BAR " + bar + " with no bytes");
        }
        data = data.clone();
    }

    /** The number of bytes. */
    public int length() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QueuedWrite w && w.sequence == sequence && w.initiator.equals(initiator)
                && w.device.equals(device) && w.bar == bar && w.offset == offset && Arrays.equals(w.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequence, initiator, device, bar, offset) * 31 + Arrays.hashCode(data);
    }

    /** {@code #12 virtio-net -> 0000:01:00.0 BAR 0+0x10/4}. */
    @Override
    public String toString() {
        return "#" + sequence + " " + initiator + " -> " + device + " BAR " + bar + "+" + Size.hex(offset) + "/"
                + data.length;
    }
}
