package dev.mmiomediator.memory;

import dev.mmiomediator.pci.PciAddress;

import java.util.Objects;

/**
 * Marks a region as a passthrough device's BAR: the region and its whole subtree (the {@code mmaps[n]} ram
 * devices, QEMU's quirk and MSI-X regions inside it) are P2P space, which non-vCPU initiators reach only
 * through the mediator's P2P sections.
 *
 * @param device the passthrough function
 * @param bar    the BAR index, 0 to 5
 */
public record PassthroughBar(PciAddress device, int bar) {
    /** Validates the BAR index. */
    public PassthroughBar {
        Objects.requireNonNull(device, "device");
        if (bar < 0 || bar > 5) {
            throw new IllegalArgumentException("BAR " + bar + " of " + device + ": expected an index from 0 to 5");
        }
    }

    @Override
    public String toString() {
        return device + " BAR " + bar;
    }
}
