package dev.mmiomediator.dma;

import dev.mmiomediator.fixtures.RandomCampaign;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test of the mediator's patched views: maps of a few hundred ranges (RAM, ROM, RAM devices, MMIO, ROM
 * devices, passthrough BARs whole or in pieces that the device view merges) get random changes (moves,
 * priorities, sizes, enabling, read-only, ROMD mode, BAR tags), one per commit or many in one transaction, and
 * after every commit both views of two mediators (RAM-only mode off and on) must equal {@link MediatedView#build}
 * of the published flat view: every section, and {@code indexOf} at every section's edges and around them. The
 * run must take the patch path for most commits, or it proves nothing.
 *
 * <p>System properties: {@code mmio.random.commits} (default 4,000; 200 per map) and {@code mmio.random.seed}
 * (default random). Map {@code i} uses seed {@code base + i}.
 */
class MediatedViewPatchDifferentialTest {
    private static final int COMMITS_PER_MAP = 200;
    private static final int SLOT = 0x2000;
    private static final PciAddress[] DEVICES = {
        PciAddress.parse("0000:01:00.0"), PciAddress.parse("0000:02:00.0"), PciAddress.parse("0000:03:00.0"),
    };

    private static long baseSeed;
    private static long commits;

    @BeforeAll
    static void seed() {
        baseSeed = RandomCampaign.seed();
        commits = RandomCampaign.size("mmio.random.commits", 4_000);
        System.out.println("MediatedViewPatchDifferentialTest: mmio.random.seed=" + baseSeed
                + " mmio.random.commits=" + commits);
    }

    @Test
    void everyPatchedViewEqualsAFreshBuild() {
        long maps = Math.max(1, (commits + COMMITS_PER_MAP - 1) / COMMITS_PER_MAP);
        long done = 0;
        long[] patches = new long[4];
        for (long i = 0; i < maps; i++) {
            long seed = baseSeed + i;
            int count = (int) Math.min(COMMITS_PER_MAP, commits - i * COMMITS_PER_MAP);
            String problem = runMap(seed, count, patches);
            if (problem != null) {
                fail("map of seed " + seed + " (mmio.random.seed=" + baseSeed + "): " + problem);
            }
            done += count;
        }
        System.out.printf("MediatedViewPatchDifferentialTest: %d commits; vCPU views patched %d and %d times, "
                + "device views %d and %d times (RAM-only off, on)%n", done, patches[0], patches[2], patches[1],
                patches[3]);
        assertTrue(patches[0] > done / 2 && patches[2] > done / 2,
                "the vCPU view must be patched in most commits: " + patches[0] + " and " + patches[2] + " of " + done);
        assertTrue(maps < 8 || (patches[1] > done / 8 && patches[3] > done / 8),
                "the device view must be patched often: " + patches[1] + " and " + patches[3] + " of " + done);
    }

    private static String runMap(long seed, int count, long[] patches) {
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySystem sys = new MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        List<MemoryRegion> leaves = new ArrayList<>();
        int slots = 200 + rnd.nextInt(200);
        // half the maps have up to three BARs in pieces, disabled at first: a device view merges their P2P sections
        // (and is built whole) while one is enabled and shown, and has one section per range (and is patched)
        // otherwise, so commits that enable one must see the merge
        boolean pieces = rnd.nextBoolean();
        int piecesLeft = pieces ? 3 : 0;
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < slots; i++) {
                MemoryRegion r = leaf(sys, rnd, i, piecesLeft > 0);
                if (!r.subregions().isEmpty()) {
                    piecesLeft--;
                    r.setEnabled(false);
                }
                root.addSubregion(r, (long) rnd.nextInt(slots) * SLOT + rnd.nextInt(SLOT / 2), rnd.nextInt(3));
                leaves.add(r);
            }
        }
        AddressSpace memory = sys.addressSpace("memory", root);
        Mediator plain = new Mediator(memory);
        Mediator ramOnly = new Mediator(memory, new MasterAbortP2pHandler(), true);
        List<String> log = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            if (rnd.nextInt(5) == 0) {
                int n = 2 + rnd.nextInt(20);
                List<String> changes = new ArrayList<>();
                try (MemorySystem.Transaction tx = sys.begin()) {
                    for (int j = 0; j < n; j++) {
                        changes.add(change(leaves, rnd));
                    }
                }
                log.add("tx" + changes);
            } else {
                log.add(change(leaves, rnd));
            }
            FlatView flat = memory.flatView();
            for (Mediator m : new Mediator[] {plain, ramOnly}) {
                String p = compare(m.view(true), MediatedView.build(flat, true, false), "vCPU", rnd);
                if (p == null) {
                    p = compare(m.view(false), MediatedView.build(flat, false, m.ramOnly()), "device", rnd);
                }
                if (p != null) {
                    return "commit " + k + " (RAM-only " + m.ramOnly() + ") after "
                            + log.subList(Math.max(0, log.size() - 3), log.size()) + ": " + p;
                }
            }
        }
        long[] a = plain.patchCounts();
        long[] b = ramOnly.patchCounts();
        patches[0] += a[0];
        patches[1] += a[1];
        patches[2] += b[0];
        patches[3] += b[1];
        return null;
    }

    private static MemoryRegion leaf(MemorySystem sys, SplittableRandom rnd, int i, boolean pieces) {
        Size size = Size.of(0x100L * (1 + rnd.nextInt(16)));
        int kind = rnd.nextInt(7);
        switch (kind == 3 && !pieces ? 4 : kind) {
            case 0:
                return sys.rom("rom" + i, size);
            case 1:
                return sys.mmio("mmio" + i, size, MemoryRegionOps.UNASSIGNED);
            case 2:
                return sys.romDevice("romd" + i, size, MemoryRegionOps.UNASSIGNED);
            case 3: {
                // a BAR in pieces: its children render as adjacent P2P pieces that the device view merges
                MemoryRegion bar = sys.container("bar" + i, Size.of(0x1000));
                bar.addSubregion(sys.ramDevice("bar" + i + ".lo", Size.of(0x800)), 0);
                bar.addSubregion(sys.mmio("bar" + i + ".hi", Size.of(0x800), MemoryRegionOps.UNASSIGNED), 0x800);
                bar.setPassthroughBar(new PassthroughBar(DEVICES[rnd.nextInt(DEVICES.length)], i % 6));
                return bar;
            }
            case 4: {
                MemoryRegion bar = sys.ramDevice("ramd" + i, size);
                if (rnd.nextBoolean()) {
                    bar.setPassthroughBar(new PassthroughBar(DEVICES[rnd.nextInt(DEVICES.length)], i % 6));
                }
                return bar;
            }
            default:
                return sys.ram("ram" + i, size);
        }
    }

    private static String change(List<MemoryRegion> leaves, SplittableRandom rnd) {
        MemoryRegion r = leaves.get(rnd.nextInt(leaves.size()));
        switch (rnd.nextInt(7)) {
            case 0: {
                long at = (long) rnd.nextInt(leaves.size()) * SLOT + rnd.nextInt(SLOT / 2);
                r.setAddress(at);
                return "move " + r.name() + " to 0x" + Long.toHexString(at);
            }
            case 1:
                r.setEnabled(!r.isEnabled());
                return "toggle " + r.name();
            case 2: {
                int p = rnd.nextInt(3);
                r.setPriority(p);
                return "priority " + r.name() + " " + p;
            }
            case 3:
                if (!r.subregions().isEmpty()) {
                    r.setEnabled(!r.isEnabled());
                    return "toggle " + r.name();
                }
                Size s = Size.of(0x100L * (1 + rnd.nextInt(16)));
                r.setSize(s);
                return "size " + r.name() + " " + s;
            case 4:
                r.setReadOnly(!r.isReadOnly());
                return "read-only " + r.name();
            case 5:
                if (r.kind() == dev.mmiomediator.memory.RegionKind.ROM_DEVICE) {
                    r.setRomdMode(!r.isRomdMode());
                    return "romd " + r.name();
                }
                r.setEnabled(!r.isEnabled());
                return "toggle " + r.name();
            default: {
                PassthroughBar bar = r.passthroughBar() == null
                        ? new PassthroughBar(DEVICES[rnd.nextInt(DEVICES.length)], rnd.nextInt(6)) : null;
                r.setPassthroughBar(bar);
                return "tag " + r.name() + " " + bar;
            }
        }
    }

    private static String compare(MediatedView got, MediatedView want, String which, SplittableRandom rnd) {
        if (!got.sections().equals(want.sections())) {
            return which + " view differs from MediatedView.build:\n" + got + "\nexpected:\n" + want;
        }
        for (int i = 0; i < want.size(); i++) {
            Section s = want.section(i);
            long[] probes = {s.start, s.last, s.start - 1, s.last + 1, s.start + rnd.nextLong(s.last - s.start + 1)};
            for (long a : probes) {
                if (got.indexOf(a) != want.indexOf(a)) {
                    return which + " view: indexOf(0x" + Long.toHexString(a) + ") = " + got.indexOf(a)
                            + ", a fresh build says " + want.indexOf(a);
                }
            }
        }
        return null;
    }
}
