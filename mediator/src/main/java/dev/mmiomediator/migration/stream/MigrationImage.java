package dev.mmiomediator.migration.stream;

import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.pci.PciAddress;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one migration carries, in stream order: the devices' saved states, guest RAM, and the P2P writes
 * held for devices that did not accept them (replayed on the destination when their target is RUNNING). Immutable;
 * the lists are copies.
 *
 * <p>Every queued write targets a device whose state travels in the same image: a write is held only for a
 * passthrough device, and every passthrough device of the VM migrates.
 *
 * @param vm           a free-text VM name, at most {@value #MAX_VM_NAME_BYTES} bytes of well-formed UTF-8
 * @param devices      one section per device, addresses unique
 * @param ram          guest RAM to restore, in order (sections may overlap; later ones win when applied in order)
 * @param queuedWrites the held writes, in replay order
 */
public record MigrationImage(String vm, List<DeviceSection> devices, List<RamSection> ram,
                             List<QueuedWrite> queuedWrites) {
    /** The longest VM name, in UTF-8 bytes (the stream holds its length in 8 bits). */
    public static final int MAX_VM_NAME_BYTES = 0xff;
    /** The longest queued write initiator id, in UTF-8 bytes (the stream holds its length in 16 bits). */
    public static final int MAX_INITIATOR_BYTES = 0xffff;

    /**
     * Checks the values and copies the lists.
     *
     * @throws IllegalArgumentException naming the value if the VM name or an initiator id is too long or not
     *                                  well-formed, a device has two sections, or a queued write targets a device
     *                                  without a section
     * @throws NullPointerException     if anything, or any list element, is null
     */
    public MigrationImage {
        Objects.requireNonNull(vm, "vm");
        Utf8.encode(vm, "VM name", MAX_VM_NAME_BYTES);
        devices = List.copyOf(devices);
        ram = List.copyOf(ram);
        queuedWrites = List.copyOf(queuedWrites);
        Set<PciAddress> seen = new HashSet<>();
        for (DeviceSection d : devices) {
            if (!seen.add(d.device())) {
                throw new IllegalArgumentException("device " + d.device()
                        + " has two device-state sections, expected one per device");
            }
        }
        for (QueuedWrite w : queuedWrites) {
            if (!seen.contains(w.device())) {
                throw new IllegalArgumentException("queued write " + w + " targets " + w.device()
                        + ", which has no device-state section in this image (devices: " + addresses(devices) + ")");
            }
            if (!Utf8.fitsAscii(w.initiator(), MAX_INITIATOR_BYTES)) { // the message is built only when needed
                Utf8.encode(w.initiator(), "initiator of queued write " + w, MAX_INITIATOR_BYTES);
            }
        }
    }

    /** The device addresses, comma-separated, or {@code none}. */
    static String addresses(List<DeviceSection> devices) {
        if (devices.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (DeviceSection d : devices) {
            sb.append(sb.length() == 0 ? "" : ", ").append(d.device());
        }
        return sb.toString();
    }
}
