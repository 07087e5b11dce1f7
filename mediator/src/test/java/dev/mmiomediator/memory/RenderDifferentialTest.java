package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.fixtures.regions.NaiveRenderer;
import dev.mmiomediator.fixtures.regions.RandomRegionTrees;
import dev.mmiomediator.fixtures.regions.RegionSpec;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test of the renderer against {@link NaiveRenderer}, an independent per-address model of
 * QEMU's rendering rules: random region trees are built with the real memory API and every address (small
 * trees) or every boundary address (2<sup>64</sup> trees) of the address space's flat view is compared
 * with the reference, together with the view's structure (sorted, disjoint, maximally merged, offsets
 * inside their region) and its flat-view root.
 *
 * <p>System properties: {@code mmio.random.trees} (default 20000) small trees, plus one 2<sup>64</sup> tree
 * per 30 of them; {@code mmio.random.seed} the base seed (default random). Tree {@code i} uses seed
 * {@code base + i}, so {@code -Dmmio.random.seed=S -Dmmio.random.trees=1} replays the tree of seed S.
 */
class RenderDifferentialTest {
    private static final int MAX_REPORTED_TREES = 5;
    private static final int MAX_REPORTED_ADDRESSES = 8;

    private static long baseSeed;
    private static int trees;

    @BeforeAll
    static void seed() {
        String s = System.getProperty("mmio.random.seed", "").trim();
        baseSeed = s.isEmpty() ? new SplittableRandom().nextLong() : Long.decode(s);
        String n = System.getProperty("mmio.random.trees", "").trim();
        trees = n.isEmpty() ? 20000 : Integer.parseInt(n);
        System.out.println("RenderDifferentialTest: mmio.random.seed=" + baseSeed + " mmio.random.trees=" + trees);
    }

    @Test
    void smallTreesRenderLikeTheReferenceAtEveryAddress() {
        long t0 = System.nanoTime();
        long addresses = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < trees && failures.size() < MAX_REPORTED_TREES; i++) {
            long seed = baseSeed + i;
            RegionTreeSpec spec = RandomRegionTrees.small(seed);
            SpecModel b = SpecModel.build(spec);
            NaiveRenderer ref = new NaiveRenderer(spec);
            long limit = ref.limit().longValueExact(); // small trees: a few thousand at most
            List<String> problems = structure(b, ref);
            FlatView view = b.as.flatView();
            if (view.size() > 0 && Long.compareUnsigned(view.range(view.size() - 1).last(), limit) >= 0) {
                problems.add("range " + view.range(view.size() - 1) + " past the flat-view root's end "
                        + Size.hex(limit));
            }
            compare(b, ref, i2 -> i2 < limit ? i2 : -1, limit, problems);
            addresses += limit;
            if (!problems.isEmpty()) {
                failures.add(report(spec, b, ref, problems));
            }
        }
        System.out.printf("RenderDifferentialTest: %d small trees, %d addresses compared in %.1f s%n",
                trees, addresses, (System.nanoTime() - t0) / 1e9);
        if (!failures.isEmpty()) {
            fail(failures.size() + " tree(s) render differently from the reference:\n\n"
                    + String.join("\n\n", failures));
        }
    }

    @Test
    void fullSizeTreesRenderLikeTheReferenceAtEveryBoundary() {
        long t0 = System.nanoTime();
        long points = 0;
        int n = Math.max(1, (trees + 29) / 30);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < n && failures.size() < MAX_REPORTED_TREES; i++) {
            long seed = baseSeed + i;
            RegionTreeSpec spec = RandomRegionTrees.full(seed);
            SpecModel b = SpecModel.build(spec);
            NaiveRenderer ref = new NaiveRenderer(spec);
            List<String> problems = structure(b, ref);
            NavigableSet<BigInteger> set = ref.boundaries();
            for (FlatRange r : b.as.flatView().ranges()) {
                for (long p : new long[] {r.start(), r.last()}) {
                    for (int d = -1; d <= 1; d++) {
                        BigInteger q = NaiveRenderer.unsigned(p).add(BigInteger.valueOf(d));
                        if (q.signum() >= 0 && q.compareTo(RegionSpec.FULL) < 0) {
                            set.add(q);
                        }
                    }
                }
            }
            long[] at = set.stream().mapToLong(BigInteger::longValue).toArray();
            compare(b, ref, k -> k < at.length ? at[(int) k] : -1, at.length, problems);
            points += at.length;
            if (!problems.isEmpty()) {
                failures.add(report(spec, b, ref, problems));
            }
        }
        System.out.printf("RenderDifferentialTest: %d 2^64 trees, %d boundary addresses compared in %.1f s%n",
                n, points, (System.nanoTime() - t0) / 1e9);
        if (!failures.isEmpty()) {
            fail(failures.size() + " 2^64 tree(s) render differently from the reference:\n\n"
                    + String.join("\n\n", failures));
        }
    }

    /** Checks the view's shape and root; returns the problems found. */
    private static List<String> structure(SpecModel b, NaiveRenderer ref) {
        List<String> problems = new ArrayList<>();
        FlatView view = b.as.flatView();
        RegionSpec expectedRoot = ref.viewRoot();
        MemoryRegion root = view.root();
        if (expectedRoot == null ? root != null : root != b.byId.get(expectedRoot.id())) {
            problems.add("flat-view root: expected " + (expectedRoot == null ? "(none)" : "#" + expectedRoot.id())
                    + ", got " + b.name(root));
        }
        FlatRange prev = null;
        for (FlatRange r : view.ranges()) {
            if (!b.ids.containsKey(r.region()) || !r.region().terminates()) {
                problems.add("range " + r + " answered by a non-leaf region " + r.region());
            }
            BigInteger end = NaiveRenderer.unsigned(r.offsetInRegion())
                    .add(NaiveRenderer.unsigned(r.last() - r.start())).add(BigInteger.ONE);
            if (end.compareTo(r.region().size().toBigInteger()) > 0) {
                problems.add("range " + r + " runs past the end of its region (offset + size = 0x"
                        + end.toString(16) + " > " + r.region().size() + ")");
            }
            if (prev != null) {
                if (Long.compareUnsigned(prev.last(), r.start()) >= 0 || prev.last() == -1L) {
                    problems.add("ranges not sorted or overlapping: " + prev + " then " + r);
                } else if (prev.last() + 1 == r.start() && prev.region() == r.region()
                        && NaiveRenderer.unsigned(prev.offsetInRegion()).add(NaiveRenderer.unsigned(prev.last()
                                - prev.start())).add(BigInteger.ONE).equals(NaiveRenderer.unsigned(r.offsetInRegion()))
                        && prev.readOnly() == r.readOnly() && prev.nonVolatile() == r.nonVolatile()
                        && prev.romdMode() == r.romdMode()) {
                    problems.add("adjacent ranges left unmerged: " + prev + " and " + r);
                }
            }
            prev = r;
        }
        return problems;
    }

    /** Compares the answers at {@code count} addresses, {@code address.apply(k)} for k in [0, count). */
    private static void compare(SpecModel b, NaiveRenderer ref, LongFunction<Long> address, long count,
                                List<String> problems) {
        FlatView view = b.as.flatView();
        int mismatches = 0;
        for (long k = 0; k < count; k++) {
            long a = address.apply(k);
            NaiveRenderer.Answer expected = ref.at(a);
            FlatRange r = view.rangeAt(a);
            NaiveRenderer.Answer actual = r == null ? null
                    : new NaiveRenderer.Answer(b.ids.getOrDefault(r.region(), -1),
                            r.offsetInRegion() + (a - r.start()), r.readOnly());
            if (expected == null ? actual != null : !expected.equals(actual)) {
                if (++mismatches <= MAX_REPORTED_ADDRESSES) {
                    problems.add("at " + Size.hex16(a) + ": expected " + (expected == null ? "nothing" : expected)
                            + ", got " + (actual == null ? "nothing" : actual));
                }
            }
        }
        if (mismatches > MAX_REPORTED_ADDRESSES) {
            problems.add("... " + mismatches + " mismatching addresses in all");
        }
    }

    private static String report(RegionTreeSpec spec, SpecModel b, NaiveRenderer ref, List<String> problems) {
        return "seed " + spec.seed() + " (replay: -Dmmio.random.seed=" + spec.seed() + " -Dmmio.random.trees=1)\n"
                + String.join("\n", problems) + "\n"
                + "reference flat-view root: " + (ref.viewRoot() == null ? "(none)" : "#" + ref.viewRoot().id()) + "\n"
                + "mediator " + b.as.flatView() + "\n" + spec.dump();
    }

    @Test
    void replayingTheSameSeedGivesTheSameTree() {
        assertEquals(RandomRegionTrees.small(baseSeed).dump(), RandomRegionTrees.small(baseSeed).dump());
        assertEquals(RandomRegionTrees.full(baseSeed).dump(), RandomRegionTrees.full(baseSeed).dump());
    }
}
