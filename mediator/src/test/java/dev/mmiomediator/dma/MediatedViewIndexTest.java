package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The view's bucket index against a linear scan of its sections, on maps the benchmarks do not use: clustered
 * (a dense group of small ranges far from a few others, so buckets are crowded or empty) and reaching 2^64.
 * DmaDifferentialTest covers the index too, through whole accesses.
 */
class MediatedViewIndexTest {

    @Test
    void bucketIndexAgreesWithALinearScanOnClusteredMaps() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int map = 0; map < 200; map++) {
            MemorySystem sys = new MemorySystem();
            MemoryRegion root = sys.container("system", Size.FULL);
            Mediator mediator = new Mediator(sys.addressSpace("memory", root));
            int clusters = 1 + rnd.nextInt(4);
            try (MemorySystem.Transaction tx = sys.begin()) {
                int id = 0;
                for (int c = 0; c < clusters; c++) {
                    long base = c == clusters - 1 && rnd.nextBoolean() ? -(1L << 20) : rnd.nextLong() & ~0xfffL;
                    int count = 1 + rnd.nextInt(300);
                    for (int i = 0; i < count; i++) {
                        long size = 1 + rnd.nextInt(0x100);
                        long at = base + i * 0x200L;
                        if (Long.compareUnsigned(at, -size) <= 0 && at != 0) {
                            root.addSubregion(sys.ram("r" + id++, Size.of(size)), at, id);
                        }
                    }
                }
            }
            MediatedView view = mediator.view(Initiator.softwareDevice("d"));
            for (int q = 0; q < 2000; q++) {
                long a = probe(rnd, view);
                assertEquals(linear(view, a), view.indexOf(a), "map " + map + " at 0x" + Long.toHexString(a));
            }
        }
    }

    /**
     * The port's public lookup ({@link DmaPort#section}, what the lookup benchmark measures) answers as a linear scan
     * of the current view, through its last-hit cache, and after a republish never from the old view: every
     * round moves one region, and each probe is asked twice (the second answer comes from the last-hit fields).
     */
    @Test
    void portSectionAgreesWithALinearScanAcrossRepublishes() {
        SplittableRandom rnd = new SplittableRandom(2);
        MemorySystem sys = new MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        Mediator mediator = new Mediator(sys.addressSpace("memory", root));
        List<MemoryRegion> regions = new ArrayList<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < 64; i++) {
                MemoryRegion r = sys.ram("r" + i, Size.of(0x1000));
                root.addSubregion(r, i * 0x1800L);
                regions.add(r);
            }
        }
        Initiator device = Initiator.softwareDevice("d");
        DmaPort port = mediator.port(device);
        for (int round = 0; round < 200; round++) {
            MediatedView view = mediator.view(device);
            for (int q = 0; q < 200; q++) {
                long a = rnd.nextInt(4) == 0 ? probe(rnd, view) : rnd.nextLong(64 * 0x1800L + 0x4000L);
                int i = linear(view, a);
                Section expected = i < 0 ? null : view.section(i);
                for (int twice = 0; twice < 2; twice++) {
                    assertSame(expected, port.section(a), "round " + round + " at 0x" + Long.toHexString(a));
                }
            }
            // the region about to move is the port's last hit, at an address that the move changes
            MemoryRegion moved = regions.get(rnd.nextInt(regions.size()));
            long delta = moved.address() >= 0x400 && rnd.nextBoolean() ? -0x400 : 0x400;
            long at = moved.address() + (delta > 0 ? 0x100 : 0xe00);
            port.section(at);
            moved.setAddress(moved.address() + delta);
            view = mediator.view(device);
            int i = linear(view, at);
            assertSame(i < 0 ? null : view.section(i), port.section(at), "after moving " + moved.name());
        }
    }

    private static long probe(SplittableRandom rnd, MediatedView view) {
        if (view.size() == 0 || rnd.nextInt(4) == 0) {
            return rnd.nextLong();
        }
        Section s = view.section(rnd.nextInt(view.size()));
        return switch (rnd.nextInt(4)) {
            case 0 -> s.start();
            case 1 -> s.last();
            case 2 -> s.last() + 1;
            default -> s.start() - 1;
        };
    }

    private static int linear(MediatedView view, long address) {
        for (int i = 0; i < view.size(); i++) {
            if (view.section(i).contains(address)) {
                return i;
            }
        }
        return -1;
    }
}
