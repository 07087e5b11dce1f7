package dev.mmiomediator.benchmarks.lookup;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;

/**
 * The address map every lookup suite indexes: {@code size} RAM ranges of 4 KiB from address 0 at a stride of
 * 0x1200, so a 512-byte hole follows each range and one uniformly random address in nine misses. The same
 * map is given to the mediator (as a region tree, rendered and mediated) and to every baseline (as
 * {@link Range}s), so all of them answer the same questions.
 *
 * <p><b>Note:</b> immutable after construction; {@link #mediator()} builds a new topology each call.
 */
public final class RangeMap {
    /** Distance between the starts of two neighbouring ranges. */
    public static final long STRIDE = 0x1200;
    /** Length of one range. */
    public static final long LENGTH = 0x1000;
    /** The initiator the mediator's lookups are made for: a software device, so the device view. */
    public static final Initiator INITIATOR = Initiator.softwareDevice("bench");

    private final Range[] ranges;

    /** A map of {@code size} ranges. */
    public RangeMap(int size) {
        ranges = new Range[size];
        for (int i = 0; i < size; i++) {
            ranges[i] = new Range(i * STRIDE, i * STRIDE + LENGTH - 1);
        }
    }

    /** The number of ranges. */
    public int size() {
        return ranges.length;
    }

    /** The ranges, in address order (a copy). */
    public Range[] ranges() {
        return ranges.clone();
    }

    /** The first address past the map's last hole. */
    public long end() {
        return ranges.length * STRIDE;
    }

    /** An address above the map where {@link MediatorTopology#toggle()} adds and removes one spare range. */
    public long spareAddress() {
        return end() + STRIDE;
    }

    /** The map as a mediated region tree: one container, one RAM region per range, plus a disabled spare range. */
    public MediatorTopology mediator() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        AddressSpace space = sys.addressSpace("memory", root);
        MemoryRegion spare = sys.ram("spare", Size.of(LENGTH));
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < ranges.length; i++) {
                root.addSubregion(sys.ram("ram" + i, Size.of(LENGTH)), ranges[i].start());
            }
            spare.setEnabled(false); // like the baselines' maps, which start without the spare
            root.addSubregion(spare, spareAddress());
        }
        return new MediatorTopology(sys, root, new Mediator(space), spare);
    }

    /**
     * A mediated topology of a {@link RangeMap}.
     *
     * @param system   the memory system
     * @param root     the address space's root container
     * @param mediator the mediator over the address space
     * @param spare    a RAM region above the map, disabled at first, that {@link #toggle()} enables and disables
     */
    public record MediatorTopology(MemorySystem system, MemoryRegion root, Mediator mediator, MemoryRegion spare) {
        /**
         * One topology change outside the looked-up addresses: the spare range appears or disappears, the memory
         * system re-renders and the mediator builds and publishes new views (what a guest moving a BAR costs).
         */
        public void toggle() {
            spare.setEnabled(!spare.isEnabled());
        }
    }
}
