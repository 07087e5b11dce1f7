package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.fixtures.dma.NaiveDma;
import dev.mmiomediator.fixtures.regions.NaiveRenderer;
import dev.mmiomediator.fixtures.regions.RandomRegionTrees;
import dev.mmiomediator.fixtures.regions.RegionSpec;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulated IOMMU table of a passthrough device across random topology updates: random trees with random
 * subtrees tagged as BARs, then random moves, enabling and disabling, read-only flags and tag changes. After
 * every update the table must equal the RAM sections of the device's view, and, checked independently of the
 * mediator, (a) map every address whose leaf (per the reference renderer) is memory outside every BAR subtree
 * to that leaf and offset, with the right permission, and nothing else; (b) contain no address of any range of
 * the vCPU's flat view whose region lies inside a region tagged as a BAR.
 *
 * <p>System properties: {@code mmio.random.trees} (default 20000; this test takes one tree per 50 of them)
 * and {@code mmio.random.seed} (default random). Tree {@code i} uses seed {@code base + i}.
 */
class IommuMappingTableRandomTest {
    private static final int UPDATES_PER_TREE = 15;
    private static final int MAX_REPORTED_TREES = 5;
    private static final PciAddress DEVICE = PciAddress.parse(InstrumentedModel.DEVICES[0]);

    private static long baseSeed;
    private static int trees;

    @BeforeAll
    static void seed() {
        String s = System.getProperty("mmio.random.seed", "").trim();
        baseSeed = s.isEmpty() ? new SplittableRandom().nextLong() : Long.decode(s);
        String n = System.getProperty("mmio.random.trees", "").trim();
        trees = Math.max(1, (n.isEmpty() ? 20000 : Integer.parseInt(n)) / 50);
        System.out.println("IommuMappingTableRandomTest: mmio.random.seed=" + baseSeed + ", " + trees + " trees");
    }

    @Test
    void theTableMirrorsTheRamSectionsAndNeverMapsABarAcrossRandomUpdates() {
        long t0 = System.nanoTime();
        long[] counts = new long[5]; // updates, addresses checked, mapped addresses, BAR ranges checked, maps
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < trees && failures.size() < MAX_REPORTED_TREES; i++) {
            long seed = baseSeed + i;
            boolean top = Math.floorMod(seed, 8L) == 7;
            RegionTreeSpec spec = top ? InstrumentedModel.atTheTop(seed) : RandomRegionTrees.small(seed);
            SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
            InstrumentedModel m = new InstrumentedModel(spec, top ? "small-at-the-top" : "small", rnd);
            IommuMappingTable table = IommuMappingTable.attach(m.mediator, DEVICE);
            List<String> problems = check(m, table, counts);
            String last = "initial topology";
            for (int u = 0; u < UPDATES_PER_TREE && problems.isEmpty(); u++) {
                last = m.change(rnd);
                counts[0]++;
                problems = check(m, table, counts);
            }
            counts[4] += table.mapCount();
            if (!problems.isEmpty()) {
                failures.add("seed " + seed + ", after " + last + ":\n  " + String.join("\n  ", problems) + "\n"
                        + table + "\n" + m.describe());
            }
        }
        System.out.printf("IommuMappingTableRandomTest: %d trees, %d updates, %d maps; %d addresses checked "
                        + "(%d mapped), %d BAR ranges of vCPU views checked unmapped, in %.1f s%n",
                trees, counts[0], counts[4], counts[1], counts[2], counts[3], (System.nanoTime() - t0) / 1e9);
        if (!failures.isEmpty()) {
            fail(failures.size() + " tree(s) with a wrong IOMMU table (mmio.random.seed=" + baseSeed + "):\n\n"
                    + String.join("\n\n", failures));
        }
    }

    private static List<String> check(InstrumentedModel m, IommuMappingTable table, long[] counts) {
        List<String> problems = new ArrayList<>();
        try {
            IommuAssertions.assertMirrors(table, m.mediator.view(Initiator.passthroughDevice(DEVICE)));
            IommuAssertions.assertNoPassthroughBar(table);
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        // (b) the vCPU view's BAR ranges, found by walking the real regions' containers
        for (FlatRange r : m.mediator.space().flatView().ranges()) {
            PassthroughBar bar = null;
            for (MemoryRegion x = r.region(); x != null && bar == null; x = x.container()) {
                bar = x.passthroughBar();
            }
            if (bar == null) {
                continue;
            }
            counts[3]++;
            for (IommuMappingTable.Mapping map : table.mappings()) {
                if (Long.compareUnsigned(map.iova(), r.last()) <= 0 && Long.compareUnsigned(r.start(), map.last()) <= 0) {
                    problems.add("mapping " + map + " overlaps " + r + ", which is inside " + bar);
                }
            }
        }
        // (a) every address against the reference renderer (boundaries only for 2^64 spaces)
        NaiveRenderer ref = m.ref.renderer();
        BigInteger limit = ref.limit();
        List<Long> addresses = new ArrayList<>();
        if (limit.compareTo(BigInteger.valueOf(1 << 14)) <= 0) {
            for (long a = 0; a < limit.longValue() + 4; a++) {
                addresses.add(a);
            }
        } else {
            for (BigInteger b : ref.boundaries()) {
                addresses.add(b.longValue());
            }
        }
        for (long a : addresses) {
            counts[1]++;
            String p = checkAddress(m, table, ref.at(a), a, counts);
            if (p != null) {
                problems.add(p);
                if (problems.size() > 8) {
                    break;
                }
            }
        }
        return problems;
    }

    private static String checkAddress(InstrumentedModel m, IommuMappingTable table, NaiveRenderer.Answer a,
                                       long address, long[] counts) {
        IommuMappingTable.Mapping got = table.lookup(address);
        RegionSpec leaf = a == null ? null : m.spec.byId(a.regionId());
        boolean memory = leaf != null && leaf.kind() != RegionSpec.Kind.ROM_DEVICE && NaiveDma.ramLike(leaf.kind())
                && NaiveDma.backed(leaf);
        NaiveDma.Tag bar = leaf == null ? null : NaiveDma.barOf(leaf, m.tags);
        if (!memory || bar != null) {
            return got == null ? null : Size.hex(address) + " is mapped by " + got + ", expected unmapped ("
                    + (leaf == null ? "unassigned" : "#" + leaf.id() + " " + leaf.kind()
                    + (bar != null ? " inside " + bar : "")) + ")";
        }
        counts[2]++;
        boolean ro = a.readOnly() || leaf.kind() == RegionSpec.Kind.ROM;
        if (got == null) {
            return Size.hex(address) + " is not mapped, expected #" + leaf.id() + " @" + Size.hex(a.offset());
        }
        if (got.region() != m.byId.get(leaf.id()) || got.translate(address) != a.offset() || got.readOnly() != ro) {
            return Size.hex(address) + " is mapped by " + got + ", expected #" + leaf.id() + " @"
                    + Size.hex(a.offset()) + (ro ? " ro" : " rw");
        }
        return null;
    }
}
