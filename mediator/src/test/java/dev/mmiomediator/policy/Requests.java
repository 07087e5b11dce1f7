package dev.mmiomediator.policy;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;

/** Builds accesses and requests for the policy tests. */
final class Requests {
    static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    static final PciAddress GPU = PciAddress.parse("0000:02:00.0");
    static final Initiator VIRTIO = Initiator.softwareDevice("virtio-net");

    private Requests() {
    }

    static P2pAccess write(Initiator who, PciAddress device, int bar, long offset, int length) {
        return new P2pAccess(who, new PassthroughBar(device, bar), offset, length, true, new byte[length]);
    }

    static P2pAccess read(Initiator who, PciAddress device, int bar, long offset, int length) {
        return new P2pAccess(who, new PassthroughBar(device, bar), offset, length, false, new byte[length]);
    }

    static P2pRequest request(P2pAccess access, MigrationState state) {
        return new P2pRequest(access, state, true, MigrationPhase.NONE);
    }
}
