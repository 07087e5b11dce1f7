package dev.mmiomediator.policy;

import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A memory map for the tests that reach the engine through real ports: 1 MiB of RAM and {@code count} passthrough
 * BARs (BAR 0 of 0000:0i:00.0, {@link #BAR_SIZE} bytes, at {@link #bar}), and a {@link Mediator} over it. The
 * devices behind the BARs are made by {@link #device}, one per registration.
 */
final class PassthroughMap {
    static final int BAR_SIZE = 0x1000;
    private static final long BAR_BASE = 0xe0000000L;
    private static final long BAR_STRIDE = 0x10000;

    final List<PciAddress> addresses = new ArrayList<>();
    final Mediator mediator;

    PassthroughMap(int count) {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        List<MemoryRegion> bars = new ArrayList<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(sys.ram("pc.ram", Size.of(1 << 20)), 0);
            for (int i = 0; i < count; i++) {
                PciAddress a = PciAddress.parse(String.format("0000:%02x:00.0", i + 1));
                MemoryRegion bar = sys.container(a + " BAR 0", Size.of(BAR_SIZE));
                bar.addSubregion(sys.ramDevice(a + " BAR 0 mmaps[0]", Size.of(BAR_SIZE)), 0);
                system.addSubregion(bar, bar(i));
                addresses.add(a);
                bars.add(bar);
            }
        }
        for (int i = 0; i < count; i++) {
            Passthrough.declare(addresses.get(i), Map.of(0, bars.get(i)));
        }
        mediator = new Mediator(sys.addressSpace("memory", system));
    }

    /** Where BAR 0 of the {@code i}th device is mapped. */
    static long bar(int i) {
        return BAR_BASE + i * BAR_STRIDE;
    }

    /** A new simulated device at the {@code i}th address, with every migration state, RUNNING. */
    SimulatedPassthroughDevice device(int i) {
        return new SimulatedPassthroughDevice(addresses.get(i), MigrationFlags.ALL, new PciBar(0, BAR_SIZE));
    }
}
