package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
