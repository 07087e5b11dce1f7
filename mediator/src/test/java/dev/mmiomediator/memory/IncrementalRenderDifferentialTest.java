package dev.mmiomediator.memory;

import dev.mmiomediator.fixtures.RandomCampaign;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.fixtures.regions.RandomRegionTrees;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;
import dev.mmiomediator.pci.PciAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test of incremental commits: random region graphs (the deep small trees and 2<sup>64</sup> trees of
 * {@link RandomRegionTrees}, and wide trees whose containers hold enough children to be indexed) get random
 * topology changes through the public API (moves, priorities, sizes, enabling, read-only, non-volatile, ROMD mode,
 * alias offsets, passthrough BAR tags, regions removed and added elsewhere, address spaces added on inner
 * regions), one per commit or many in one transaction (nested, too), and after every commit each address space's
 * published view must equal a fresh whole render of its root ({@link MemorySystem#render}): every range, with
 * every attribute, and the flat-view root.
 *
 * <p>System properties: {@code mmio.random.commits} (default 20,000; 100 per tree) and {@code mmio.random.seed}
 * (default random). Tree {@code i} uses seed {@code base + i}, so {@code -Dmmio.random.seed=S
 * -Dmmio.random.commits=100} replays the tree of seed S.
 */
class IncrementalRenderDifferentialTest {
    private static final int COMMITS_PER_TREE = 100;
    private static final int MAX_REPORTED = 5;
    private static final PciAddress[] DEVICES = {
        PciAddress.parse("0000:01:00.0"), PciAddress.parse("0000:02:00.0"),
    };

    private static long baseSeed;
    private static long commits;

    @BeforeAll
    static void seed() {
        baseSeed = RandomCampaign.seed();
        commits = RandomCampaign.size("mmio.random.commits", 20_000);
        System.out.println("IncrementalRenderDifferentialTest: mmio.random.seed=" + baseSeed
                + " mmio.random.commits=" + commits);
    }

    /** Counts over the whole run. */
    private static final class Stats {
        long commits;
        long changes;
        long transactions;
        long wholeRenders;
        long patched;
        long indexedTrees;
    }

    @Test
    void everyIncrementalCommitEqualsAWholeRender() {
        long t0 = System.nanoTime();
        Stats stats = new Stats();
        List<String> failures = new ArrayList<>();
        long trees = Math.max(1, (commits + COMMITS_PER_TREE - 1) / COMMITS_PER_TREE);
        for (long i = 0; i < trees && failures.size() < MAX_REPORTED; i++) {
            long seed = baseSeed + i;
            String f = runTree(seed, (int) Math.min(COMMITS_PER_TREE, commits - i * COMMITS_PER_TREE), stats);
            if (f != null) {
                failures.add(f);
            }
        }
        System.out.printf("IncrementalRenderDifferentialTest: %d trees (%d wide), %d commits (%d transactions of "
                        + "several changes), %d changes in %.1f s; %d views patched, %d rendered whole%n",
                trees, stats.indexedTrees, stats.commits, stats.transactions, stats.changes,
                (System.nanoTime() - t0) / 1e9, stats.patched, stats.wholeRenders);
        if (!failures.isEmpty()) {
            fail(failures.size() + " tree(s) published a view unlike a whole render (mmio.random.seed=" + baseSeed
                    + "):\n\n" + String.join("\n\n", failures));
        }
        assertTrue(stats.patched > stats.wholeRenders, "the incremental path must be the common one: "
                + stats.patched + " patched, " + stats.wholeRenders + " whole");
    }

    private static String runTree(long seed, int count, Stats stats) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int shape = (int) Math.floorMod(seed, 6L);
        MemorySystem sys;
        List<MemoryRegion> regions = new ArrayList<>();
        String shapeName;
        if (shape <= 1) {
            shapeName = "wide";
            sys = new MemorySystem();
            wide(sys, rnd, regions);
            stats.indexedTrees++;
        } else {
            RegionTreeSpec spec = shape == 5 ? RandomRegionTrees.full(seed) : RandomRegionTrees.small(seed);
            shapeName = shape == 5 ? "2^64" : "small";
            SpecModel b = SpecModel.build(spec);
            sys = b.sys;
            for (int id = 0; id < spec.regions().size(); id++) {
                regions.add(b.byId.get(id));
            }
        }
        List<String> log = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            long fullBefore = sys.fullRenderCount();
            long patchedBefore = sys.patchCount();
            long before = sys.renderCount();
            if (rnd.nextInt(4) == 0) {
                int n = 2 + rnd.nextInt(rnd.nextInt(8) == 0 ? 120 : 10);
                List<String> done = new ArrayList<>();
                try (MemorySystem.Transaction tx = sys.begin()) {
                    for (int j = 0; j < n; j++) {
                        if (rnd.nextInt(10) == 0) {
                            try (MemorySystem.Transaction inner = sys.begin()) {
                                done.add(change(sys, regions, rnd));
                            }
                        } else {
                            done.add(change(sys, regions, rnd));
                        }
                    }
                }
                log.add("tx{" + String.join(", ", done) + "}");
                stats.changes += n;
                stats.transactions++;
                if (sys.renderCount() - before > 1) {
                    return "seed " + seed + " (" + shapeName + "): a transaction of " + n + " changes committed "
                            + (sys.renderCount() - before) + " times";
                }
            } else {
                log.add(change(sys, regions, rnd));
                stats.changes++;
            }
            stats.commits++;
            stats.wholeRenders += sys.fullRenderCount() - fullBefore;
            stats.patched += sys.patchCount() - patchedBefore;
            String problem = compare(sys);
            if (problem != null) {
                List<String> tail = log.subList(Math.max(0, log.size() - 3), log.size());
                return "seed " + seed + " (" + shapeName + "), commit " + k + " after " + tail + ":\n" + problem
                        + "\nreplay: -Dmmio.random.seed=" + seed + " -Dmmio.random.commits=" + COMMITS_PER_TREE;
            }
        }
        return null;
    }

    /** Null if every address space's view equals a whole render of its root, else what differs. */
    private static String compare(MemorySystem sys) {
        for (AddressSpace as : sys.addressSpaces()) {
            FlatView got = as.flatView();
            FlatView want = sys.render(as.root());
            if (got.root() != want.root()) {
                return as + ": flat-view root " + got.root() + ", a whole render has " + want.root();
            }
            boolean same = got.size() == want.size();
            for (int i = 0; same && i < got.size(); i++) {
                same = got.range(i).sameAs(want.range(i));
            }
            if (!same) {
                StringBuilder sb = new StringBuilder(as + " differs from a whole render:\npublished");
                for (FlatRange r : got.ranges()) {
                    sb.append("\n  ").append(describe(r));
                }
                sb.append("\nwhole render");
                for (FlatRange r : want.ranges()) {
                    sb.append("\n  ").append(describe(r));
                }
                return sb.toString();
            }
        }
        return null;
    }

    private static String describe(FlatRange r) {
        return r + (r.nonVolatile() ? " nv" : "") + (r.romdMode() ? "" : " romd-off")
                + (r.passthroughBar() == null ? "" : " in " + r.passthroughBar() + " @" + Size.hex(r.offsetInBar()));
    }

    /** One random change through the public API; returns what it did. */
    private static String change(MemorySystem sys, List<MemoryRegion> regions, SplittableRandom rnd) {
        MemoryRegion r = regions.get(rnd.nextInt(regions.size()));
        String name = r.name();
        try {
            switch (rnd.nextInt(12)) {
                case 0, 1 -> {
                    MemoryRegion c = r.container();
                    long to = r.address() + rnd.nextInt(65) - 32;
                    if (c != null && c.size().compareTo(Size.of(1 << 20)) <= 0 && rnd.nextBoolean()) {
                        to = rnd.nextLong(c.size().bytes() + 8);
                    }
                    r.setAddress(to);
                    return "move " + name + " to " + Size.hex(to);
                }
                case 2 -> {
                    int p = rnd.nextInt(7) - 3;
                    r.setPriority(p);
                    return "priority " + name + " " + p;
                }
                case 3 -> {
                    if (r.size().isFull()) {
                        return "nothing";
                    }
                    long s = Math.max(0, r.size().bytes() + rnd.nextInt(17) - 8);
                    r.setSize(Size.of(s));
                    return "size " + name + " " + Size.hex(s);
                }
                case 4, 5 -> {
                    r.setEnabled(!r.isEnabled());
                    return (r.isEnabled() ? "enable " : "disable ") + name;
                }
                case 6 -> {
                    r.setReadOnly(!r.isReadOnly());
                    return "read-only " + r.isReadOnly() + " " + name;
                }
                case 7 -> {
                    if (r.kind() == RegionKind.ROM_DEVICE) {
                        r.setRomdMode(!r.isRomdMode());
                        return "romd " + r.isRomdMode() + " " + name;
                    }
                    r.setNonVolatile(!r.isNonVolatile());
                    return "non-volatile " + r.isNonVolatile() + " " + name;
                }
                case 8 -> {
                    if (r.aliasTarget() == null) {
                        return "nothing";
                    }
                    long o = Math.max(0, r.aliasOffset() + rnd.nextInt(9) - 4);
                    r.setAliasOffset(o);
                    return "alias offset " + name + " " + Size.hex(o);
                }
                case 9 -> {
                    PassthroughBar bar = r.passthroughBar() != null ? null
                            : new PassthroughBar(DEVICES[rnd.nextInt(DEVICES.length)], rnd.nextInt(6));
                    r.setPassthroughBar(bar);
                    return "tag " + name + " " + bar;
                }
                case 10 -> {
                    // out of its container and into another one (the same, or none for a while)
                    MemoryRegion from = r.container();
                    MemoryRegion to = regions.get(rnd.nextInt(regions.size()));
                    if (from != null) {
                        from.removeSubregion(r);
                    }
                    if (to.kind() == RegionKind.ALIAS || rnd.nextInt(5) == 0) {
                        return "remove " + name;
                    }
                    long at = to.size().isFull() ? rnd.nextLong() >>> 1 : rnd.nextLong(to.size().bytes() + 4);
                    to.addSubregion(r, at, rnd.nextInt(5) - 2);
                    return "put " + name + " into " + to.name() + " at " + Size.hex(at);
                }
                default -> {
                    MemoryRegion root = regions.get(rnd.nextInt(regions.size()));
                    if (sys.addressSpaces().size() >= 3) {
                        return "nothing";
                    }
                    sys.addressSpace("as" + sys.addressSpaces().size(), root);
                    return "address space on " + root.name();
                }
            }
        } catch (IllegalArgumentException | IllegalStateException refused) {
            return "refused (" + refused.getMessage() + ")";
        }
    }

    /**
     * A wide tree: a root of 64 KiB (or 2^64) holding 20 to 200 children (RAM, ROM, ROM devices, MMIO, aliases onto
     * them, containers with a few children of their own), overlapping at random priorities.
     */
    private static void wide(MemorySystem sys, SplittableRandom rnd, List<MemoryRegion> regions) {
        boolean full = rnd.nextInt(4) == 0;
        MemoryRegion root = sys.container("root", full ? Size.FULL : Size.of(0x10000));
        regions.add(root);
        try (MemorySystem.Transaction tx = sys.begin()) {
            int n = 20 + rnd.nextInt(180);
            for (int i = 0; i < n; i++) {
                MemoryRegion child = region(sys, rnd, regions, "c" + i, 16 + rnd.nextInt(0x800));
                if (child.kind() == RegionKind.CONTAINER) {
                    for (int j = rnd.nextInt(20); j > 0; j--) {
                        MemoryRegion g = region(sys, rnd, regions, "c" + i + "." + j, 1 + rnd.nextInt(0x100));
                        try {
                            child.addSubregion(g, rnd.nextLong(child.size().bytes()), rnd.nextInt(5) - 2);
                        } catch (IllegalArgumentException cycle) {
                            // an alias onto its own container, or onto an alias of it: left detached
                        }
                    }
                }
                long at = full && rnd.nextInt(10) == 0 ? -child.size().bytes() : rnd.nextLong(0x10000 - 0x800);
                root.addSubregion(child, at, rnd.nextInt(9) - 4);
            }
            sys.addressSpace("as", root);
        }
    }

    private static MemoryRegion region(MemorySystem sys, SplittableRandom rnd, List<MemoryRegion> regions,
                                       String name, long size) {
        Size s = Size.of(size);
        MemoryRegion r = switch (rnd.nextInt(8)) {
            case 0, 1 -> sys.ram(name, s);
            case 2 -> sys.rom(name, s);
            case 3 -> sys.romDevice(name, s, MemoryRegionOps.UNASSIGNED);
            case 4 -> sys.mmio(name, s, MemoryRegionOps.UNASSIGNED);
            case 5 -> sys.container(name, s);
            default -> {
                List<MemoryRegion> targets = new ArrayList<>();
                for (MemoryRegion t : regions) {
                    if (t.kind() != RegionKind.CONTAINER || t.size().compareTo(Size.of(0x10000)) < 0) {
                        targets.add(t);
                    }
                }
                MemoryRegion t = targets.isEmpty() ? sys.ram(name + ".t", s) : targets.get(rnd.nextInt(targets.size()));
                long off = t.size().isFull() ? 0 : rnd.nextLong(t.size().bytes() + 1);
                yield sys.alias(name, t, off, s);
            }
        };
        regions.add(r);
        return r;
    }
}
