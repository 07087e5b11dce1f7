package dev.mmiomediator.migration.stream;

import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;

import java.util.Arrays;
import java.util.Objects;

/**
 * One device's saved state: the bytes its STOP_COPY saving session produced, which its RESUMING session on the
 * destination consumes. Immutable: the bytes are copied in, and {@link #state()} returns the held array, which
 * callers must not modify. Equality compares the bytes.
 *
 * @param device the device
 * @param flags  its VFIO migration flags on the source
 * @param state  the state bytes, possibly none
 */
public record DeviceSection(PciAddress device, MigrationFlags flags, byte[] state) {
    /** Checks for nulls and copies {@code state}. */
    public DeviceSection {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(flags, "flags");
        state = Objects.requireNonNull(state, "state").clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceSection d && d.device.equals(device) && d.flags.equals(flags)
                && Arrays.equals(d.state, state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(device, flags) * 31 + Arrays.hashCode(state);
    }

    /** {@code 0000:01:00.0 [STOP_COPY,P2P] 4096 state bytes}. */
    @Override
    public String toString() {
        return device + " [" + flags + "] " + state.length + " state bytes";
    }
}
