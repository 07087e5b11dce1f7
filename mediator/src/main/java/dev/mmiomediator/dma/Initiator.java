package dev.mmiomediator.dma;

import dev.mmiomediator.pci.PciAddress;

import java.util.Objects;

/**
 * Who makes an access: the vCPU (sees the full flat view), a software device emulated by the VMM, or a
 * passthrough device (whose IOMMU mappings come from its view). Immutable.
 *
 * @param kind the kind of initiator
 * @param id   a name for logs and counters, e.g. {@code virtio-net} or {@code 0000:01:00.0}
 */
public record Initiator(Kind kind, String id) {
    /** Kinds of initiator. */
    public enum Kind {
        /** The guest's CPUs: the only initiator that reaches passthrough BARs directly. */
        VCPU,
        /** A device the VMM emulates (virtio, NVMe, xHCI, ...). */
        SOFTWARE_DEVICE,
        /** A passthrough (VFIO) device doing DMA through the IOMMU. */
        PASSTHROUGH_DEVICE
    }

    private static final Initiator VCPU = new Initiator(Kind.VCPU, "vcpu");

    /** Validates the id. */
    public Initiator {
        Objects.requireNonNull(kind, "kind");
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("initiator id '" + (id == null ? "null" : "") + "': expected a non-empty name");
        }
    }

    /** The vCPU initiator. */
    public static Initiator vcpu() {
        return VCPU;
    }

    /** A software device. */
    public static Initiator softwareDevice(String id) {
        return new Initiator(Kind.SOFTWARE_DEVICE, id);
    }

    /** A passthrough device. */
    public static Initiator passthroughDevice(PciAddress address) {
        return new Initiator(Kind.PASSTHROUGH_DEVICE, address.toString());
    }

    /** Whether this initiator sees the full view (BARs included). */
    public boolean isVcpu() {
        return kind == Kind.VCPU;
    }

    @Override
    public String toString() {
        return id;
    }
}
