package dev.mmiomediator.policies;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.vfio.MigrationDriverException;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;

/** Simulated devices put into a given state, and accesses to them. */
final class Devices {
    static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    static final Initiator VIRTIO = Initiator.softwareDevice("virtio-net");

    private Devices() {
    }

    /** A device with every migration flag, BAR 0 of 0x1000 bytes, in {@code state} (ERROR via a failed arc). */
    static SimulatedPassthroughDevice in(MigrationState state) {
        SimulatedPassthroughDevice sim = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));
        if (state == MigrationState.ERROR) {
            sim.failArc(MigrationState.RUNNING, MigrationState.RUNNING_P2P);
            try {
                sim.device().transition(MigrationState.RUNNING_P2P);
            } catch (MigrationDriverException expected) {
                // the device is in ERROR now
            }
        } else if (state != MigrationState.RUNNING) {
            sim.device().transition(state);
        }
        if (sim.device().state() != state) {
            throw new AssertionError("device is " + sim.device().state() + ", expected " + state);
        }
        return sim;
    }

    static P2pAccess write(int value) {
        byte[] data = {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
        return new P2pAccess(VIRTIO, new PassthroughBar(NIC, 0), 0x40, 4, true, data);
    }

    static P2pAccess read() {
        return new P2pAccess(VIRTIO, new PassthroughBar(NIC, 0), 0x40, 4, false, new byte[4]);
    }
}
