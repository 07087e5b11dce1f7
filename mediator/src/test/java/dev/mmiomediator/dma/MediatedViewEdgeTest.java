package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bucket table's edges, each view checked against a linear scan of its sections at every section's first and
 * last address, one past and one before each, the bucket edges around them and random addresses: the empty view,
 * one section, sections at 0 and at 2^64-1, a section covering all of 2^64, unsigned addresses above 2^63, and
 * buckets crowded far past one start (the branch-free search).
 */
class MediatedViewEdgeTest {
    private static final Initiator DEVICE = Initiator.softwareDevice("d");

    /** A view of RAM regions, each {@code {address, size}} (a size of 0: all of 2^64). */
    private static MediatedView viewOf(long[]... regions) {
        MemorySystem sys = new MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        Mediator mediator = new Mediator(sys.addressSpace("memory", root));
        try (MemorySystem.Transaction tx = sys.begin()) {
            int id = 0;
            for (long[] r : regions) {
                root.addSubregion(sys.ram("r" + id, Size.ofLast(r[1] - 1)), r[0], id++);
            }
        }
        return mediator.view(DEVICE);
    }

    @Test
    void emptyViewMissesEverywhere() {
        for (MediatedView view : List.of(MediatedView.empty(), viewOf())) {
            assertEquals(0, view.size());
            for (long a : new long[] {0, 1, -1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE, 0x1000}) {
                assertEquals(-1, view.indexOf(a), "0x" + Long.toHexString(a));
            }
            agreesWithLinearScan(view, 3, 10_000);
        }
    }

    @Test
    void oneSectionAnywhere() {
        long[][] cases = {
            {0, 1}, {0, 0x1000}, {-1L, 1}, {-0x1000L, 0x1000}, {Long.MIN_VALUE, 1}, {Long.MAX_VALUE, 1},
            {Long.MAX_VALUE, 2}, {0x1234_5678L, 0x10}, {0, 0},
        };
        for (long[] c : cases) {
            MediatedView view = viewOf(c);
            assertEquals(1, view.size(), () -> "0x" + Long.toHexString(c[0]));
            assertEquals(0, view.indexOf(c[0]));
            assertEquals(0, view.indexOf(c[0] + (c[1] == 0 ? -1 : c[1] - 1)));
            agreesWithLinearScan(view, 4, 10_000);
        }
    }

    @Test
    void sectionsAtZeroAndAtTheTopOfTheSpace() {
        agreesWithLinearScan(viewOf(new long[] {0, 1}, new long[] {-1L, 1}), 5, 10_000);
        agreesWithLinearScan(viewOf(new long[] {0, 0x1000}, new long[] {-0x1000L, 0x1000}), 6, 10_000);
        // two halves meeting at 2^63, and a piece on each side of it
        agreesWithLinearScan(viewOf(new long[] {0, 1L << 63}, new long[] {Long.MIN_VALUE, 1L << 63}), 7, 10_000);
        agreesWithLinearScan(viewOf(new long[] {Long.MAX_VALUE - 0xfff, 0x1000},
                new long[] {Long.MIN_VALUE, 0x1000}, new long[] {-0x10L, 0x10}), 8, 10_000);
    }

    @Test
    void unsignedAddressesAboveTwoToThe63() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int map = 0; map < 50; map++) {
            List<long[]> regions = new ArrayList<>();
            long at = Long.MIN_VALUE + (rnd.nextLong(1L << 40) & ~0xfffL);
            for (int i = 0; i < 100 + rnd.nextInt(400); i++) {
                long size = 1 + rnd.nextInt(0x3000);
                regions.add(new long[] {at, size});
                at += size + rnd.nextInt(0x2000);
            }
            agreesWithLinearScan(viewOf(regions.toArray(new long[0][])), 10 + map, 2_000);
        }
    }

    /**
     * Maps whose sections crowd some buckets far past one start: a tight run of one-byte sections next to one far
     * away (so the buckets are wide and the run falls in one or two of them), with and without gaps in the run.
     */
    @Test
    void crowdedBucketsUseTheSearch() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int map = 0; map < 40; map++) {
            List<long[]> regions = new ArrayList<>();
            long base = rnd.nextBoolean() ? 0 : rnd.nextLong() & ~0xffffL;
            int run = 2 + rnd.nextInt(2000);
            boolean gaps = rnd.nextBoolean();
            for (int i = 0; i < run; i++) {
                regions.add(new long[] {base + (gaps ? 2L * i : i), 1});
            }
            long far = rnd.nextBoolean() ? -1L : base + (1L << (20 + rnd.nextInt(40)));
            if (Long.compareUnsigned(far, base + 2L * run) > 0) {
                regions.add(new long[] {far, 1});
            }
            agreesWithLinearScan(viewOf(regions.toArray(new long[0][])), 100 + map, 2_000);
        }
    }

    /** The table of the lookup benchmark's largest map (65,536 ranges of 4 KiB at a stride of 0x1200) is bounded. */
    @Test
    void tableOfSixtyFiveThousandSectionsStaysUnderFourMebibytes() {
        long[][] regions = new long[65_536][];
        for (int i = 0; i < regions.length; i++) {
            regions[i] = new long[] {i * 0x1200L, 0x1000};
        }
        MediatedView view = viewOf(regions);
        assertEquals(65_536, view.size());
        long bytes = view.indexBytes();
        assertTrue(bytes <= 4L << 20, "index of 65,536 sections: " + bytes + " bytes, expected at most 4 MiB");
        agreesWithLinearScanAtSections(view, new SplittableRandom(12), 200);
    }

    private static void agreesWithLinearScan(MediatedView view, long seed, int randomProbes) {
        SplittableRandom rnd = new SplittableRandom(seed);
        agreesWithLinearScanAtSections(view, rnd, 300);
        for (int q = 0; q < randomProbes; q++) {
            long a = switch (rnd.nextInt(3)) {
                case 0 -> rnd.nextLong();
                case 1 -> view.size() == 0 ? rnd.nextLong()
                        : view.section(rnd.nextInt(view.size())).start() + rnd.nextInt(0x4000) - 0x2000;
                default -> rnd.nextBoolean() ? rnd.nextInt(0x10000) : -1L - rnd.nextInt(0x10000);
            };
            check(view, a);
        }
    }

    /** Probes at and around the sections: all of them in a view of at most {@code most}, else {@code most} random ones. */
    private static void agreesWithLinearScanAtSections(MediatedView view, SplittableRandom rnd, int most) {
        for (long a : new long[] {0, 1, -1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE}) {
            check(view, a);
        }
        int n = view.size();
        for (int k = 0; k < Math.min(n, most); k++) {
            Section s = view.section(n <= most ? k : rnd.nextInt(n));
            for (long a : new long[] {s.start(), s.start() - 1, s.last(), s.last() + 1, s.start() + (s.last() - s.start()) / 2}) {
                check(view, a);
            }
            // the edges of the power-of-two blocks around the start, where bucket edges fall
            for (int bit = 1; bit < 64; bit += 3) {
                long block = s.start() & -(1L << bit);
                check(view, block);
                check(view, block - 1);
                check(view, block + (1L << bit) - 1);
            }
        }
    }

    private static void check(MediatedView view, long address) {
        int expected = -1;
        for (int i = 0; i < view.size(); i++) {
            if (view.section(i).contains(address)) {
                expected = i;
                break;
            }
        }
        assertEquals(expected, view.indexOf(address), () -> "at 0x" + Long.toHexString(address) + " in " + view.size()
                + " sections from 0x" + Long.toHexString(view.size() == 0 ? 0 : view.section(0).start()));
    }
}
