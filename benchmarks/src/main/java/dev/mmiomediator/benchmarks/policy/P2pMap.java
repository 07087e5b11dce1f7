package dev.mmiomediator.benchmarks.policy;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationData;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.List;
import java.util.Map;

/**
 * The map of the P2P suites: 1 MiB of RAM at 0 and one passthrough device's 64 KiB BAR 0 at {@link #BAR_ADDR},
 * mediated with a {@link PolicyEngine} running one built-in policy, the device registered with a target whose BAR
 * is a plain heap {@link ByteBuf} (what an mmap'ed BAR costs), and a software device's port. The device starts
 * RUNNING.
 *
 * <p><b>Note:</b> the port is for one thread, like every port.
 */
final class P2pMap {
    /** Where the BAR is mapped. */
    static final long BAR_ADDR = 0xe0000000L;
    /** The BAR's size. */
    static final int BAR_SIZE = 0x10000;

    private final DmaPort port;
    private final PassthroughDevice device;
    private final AbortSwitch abort;

    /** The map with the built-in policy named {@code policy}. */
    P2pMap(String policy) {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        PciAddress address = PciAddress.parse("0000:01:00.0");
        MemoryRegion bar = sys.container(address + " BAR 0", Size.of(BAR_SIZE));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(sys.ram("pc.ram", Size.of(1 << 20)), 0);
            bar.addSubregion(sys.ramDevice(address + " BAR 0 mmaps[0]", Size.of(BAR_SIZE)), 0);
            system.addSubregion(bar, BAR_ADDR);
        }
        AddressSpace memory = sys.addressSpace("memory", system);
        device = new PassthroughDevice(address, MigrationFlags.STOP_COPY_ONLY, List.of(new PciBar(0, BAR_SIZE)),
                new MigrationDriver() {
                    @Override
                    public MigrationData arc(MigrationState from, MigrationState to) {
                        return null;
                    }

                    @Override
                    public void reset() {
                    }
                });
        Passthrough.declare(device, Map.of(0, bar));
        ByteBuf mem = Unpooled.buffer(BAR_SIZE, BAR_SIZE);
        abort = new AbortSwitch();
        PolicyEngine engine = new PolicyEngine(Policies.create(policy, Map.of(), P2pMap.class.getClassLoader()),
                abort, PolicyEngine.Settings.DEFAULT);
        engine.register(device, new P2pTarget() {
            @Override
            public void read(int b, long offset, byte[] dst, int length) {
                mem.getBytes((int) offset, dst, 0, length);
            }

            @Override
            public void write(int b, long offset, byte[] src, int length) {
                mem.setBytes((int) offset, src, 0, length);
            }
        });
        Mediator mediator = new Mediator(memory);
        mediator.setP2pHandler(engine);
        port = mediator.port(Initiator.softwareDevice("bench"));
    }

    /** The software device's port. */
    DmaPort port() {
        return port;
    }

    /** The passthrough device. */
    PassthroughDevice device() {
        return device;
    }

    /** The migration control the engine asks to abort. */
    AbortSwitch abort() {
        return abort;
    }
}
