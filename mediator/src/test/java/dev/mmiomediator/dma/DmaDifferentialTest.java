package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.fixtures.dma.NaiveDma;
import dev.mmiomediator.fixtures.regions.RandomRegionTrees;
import dev.mmiomediator.fixtures.regions.RegionSpec;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test of mediated DMA against {@link NaiveDma}, a per-byte reference written from the rules on
 * top of the per-address reference renderer. Random region trees (small ones, whose every address is in
 * reach; 2<sup>64</sup> ones from {@link RandomRegionTrees#full}; and small trees placed at the very top of a
 * 2<sup>64</sup> root) get random subtrees tagged as passthrough BARs, RAM with known content, MMIO devices
 * with random valid access sizes that record their calls, and a P2P handler that records its calls and
 * answers fixed bytes. Random initiators (vCPU, software devices, a passthrough device) then make random
 * accesses through every API (1/2/4/8-byte values, {@code byte[]} and {@code ByteBuf} bulk up to 64 bytes),
 * straddling ranges and the 2<sup>64</sup> edge, and every byte, result, device call and P2P call is compared
 * with the reference. Every 500 accesses the topology changes (moves, enabling, read-only flags, BAR tags) while
 * the ports live on, so a port's last-hit cache must never serve a section of an old view; the commit patches the
 * previous flat view, and both published views must equal views built from a whole render. The ops and memory
 * of every region inside a BAR are instrumented: no non-vCPU access may reach them (the P2P handler must see
 * it instead). At the end of each tree every region's memory is compared with the reference's shadow.
 *
 * <p>System properties: {@code mmio.random.accesses} (default 2,000,000; 2,000 per tree) and
 * {@code mmio.random.seed} (default random). Tree {@code i} uses seed {@code base + i}, so
 * {@code -Dmmio.random.seed=S -Dmmio.random.accesses=2000} replays the tree of seed S.
 */
class DmaDifferentialTest {
    private static final int ACCESSES_PER_TREE = 2000;
    private static final int ACCESSES_PER_TOPOLOGY = 500;
    private static final int MAX_REPORTED_TREES = 5;
    private static final int MAX_REPORTED_ACCESSES = 6;
    private static final int[] PRIMITIVE = {1, 2, 4, 8};

    private static long baseSeed;
    private static long accesses;

    @BeforeAll
    static void seed() {
        String s = System.getProperty("mmio.random.seed", "").trim();
        baseSeed = s.isEmpty() ? new SplittableRandom().nextLong() : Long.decode(s);
        String n = System.getProperty("mmio.random.accesses", "").trim();
        accesses = n.isEmpty() ? 2_000_000 : Long.parseLong(n);
        System.out.println("DmaDifferentialTest: mmio.random.seed=" + baseSeed + " mmio.random.accesses=" + accesses);
    }

    /** The reference's result bits are the mediator's. */
    @Test
    void referenceUsesTheMediatorsResultBits() {
        assertEquals(MemTxResult.OK, NaiveDma.OK);
        assertEquals(MemTxResult.ERROR, NaiveDma.ERROR);
        assertEquals(MemTxResult.DECODE_ERROR, NaiveDma.DECODE_ERROR);
        assertEquals(MemTxResult.ACCESS_ERROR, NaiveDma.ACCESS_ERROR);
        assertEquals(MemTxResult.P2P_FAILED, NaiveDma.P2P_FAILED);
        assertEquals(MemTxResult.P2P_FORWARDED, NaiveDma.P2P_FORWARDED);
    }

    @Test
    void randomAccessesByRandomInitiatorsMatchTheReference() {
        long t0 = System.nanoTime();
        Stats stats = new Stats();
        List<String> failures = new ArrayList<>();
        long trees = Math.max(1, (accesses + ACCESSES_PER_TREE - 1) / ACCESSES_PER_TREE);
        for (long i = 0; i < trees && failures.size() < MAX_REPORTED_TREES; i++) {
            long seed = baseSeed + i;
            int n = (int) Math.min(ACCESSES_PER_TREE, accesses - i * ACCESSES_PER_TREE);
            String failure = runTree(seed, (int) Math.floorMod(seed, 8L), n, stats);
            if (failure != null) {
                failures.add(failure);
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("DmaDifferentialTest: %d trees (%d with a 2^64 root, %d topology changes), %d accesses "
                        + "(%d bytes) in %.1f s: %d by the vCPU, %d by software devices, %d by a passthrough device; "
                        + "%d P2P handler calls, %d MMIO calls, %d vCPU uses of BAR memory or ops, %d accesses past "
                        + "2^64, %d ending at 2^64-1; %d non-vCPU uses of BAR memory or ops without the P2P handler%n",
                stats.trees, stats.fullTrees, stats.changes, stats.accesses, stats.bytes, secs, stats.vcpu,
                stats.software, stats.passthrough, stats.p2pCalls, stats.mmioCalls, stats.vcpuBarTouches, stats.wraps,
                stats.endAtTop, stats.violations);
        if (!failures.isEmpty()) {
            fail(failures.size() + " tree(s) differ from the reference (mmio.random.seed=" + baseSeed + "):\n\n"
                    + String.join("\n\n", failures));
        }
    }

    private static final class Stats {
        long trees;
        long fullTrees;
        long changes;
        long accesses;
        long bytes;
        long vcpu;
        long software;
        long passthrough;
        long p2pCalls;
        long mmioCalls;
        long vcpuBarTouches;
        long wraps;
        long endAtTop;
        long violations;
    }


    private static String runTree(long seed, int shape, int count, Stats stats) {
        RegionTreeSpec spec;
        String shapeName;
        if (shape == 7) {
            spec = RandomRegionTrees.full(seed);
            shapeName = "2^64";
        } else if (shape == 3) {
            spec = InstrumentedModel.atTheTop(seed);
            shapeName = "small-at-the-top";
        } else {
            spec = RandomRegionTrees.small(seed);
            shapeName = "small";
        }
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0xD3A);
        InstrumentedModel m = new InstrumentedModel(spec, shapeName, rnd);
        stats.trees++;
        Aim aim = aim(m);
        if (!aim.small) {
            stats.fullTrees++;
        }
        Initiator[] who = {
            Initiator.vcpu(), Initiator.softwareDevice("virtio-net"), Initiator.softwareDevice("nvme"),
            Initiator.passthroughDevice(PciAddress.parse(
                    InstrumentedModel.DEVICES[rnd.nextInt(InstrumentedModel.DEVICES.length)])),
        };
        DmaPort[] ports = new DmaPort[who.length];
        for (int i = 0; i < who.length; i++) {
            ports[i] = m.mediator.port(who[i]);
        }
        List<String> problems = new ArrayList<>();
        String changed = "";
        for (int k = 0; k < count && problems.size() < MAX_REPORTED_ACCESSES; k++) {
            if (k > 0 && k % ACCESSES_PER_TOPOLOGY == 0) {
                changed = " (after changes: " + m.change(rnd) + ")";
                aim = aim(m);
                stats.changes++;
                // the commit patched the previous flat view around the changes, and the published views reuse the
                // previous vCPU view's sections and derive the device view from the vCPU view; each must equal one
                // built on its own from a whole render
                FlatView flat = m.sys.render(m.mediator.space().root());
                List<Section> derived = m.mediator.view(Initiator.softwareDevice("x")).sections();
                List<Section> own = MediatedView.build(flat, false, m.ramOnly).sections();
                if (!derived.equals(own)) {
                    problems.add("device view" + changed + " differs from MediatedView.build:\n" + derived + "\n" + own);
                }
                List<Section> reused = m.mediator.view(Initiator.vcpu()).sections();
                List<Section> fresh = MediatedView.build(flat, true, false).sections();
                if (!reused.equals(fresh)) {
                    problems.add("vCPU view" + changed + " differs from MediatedView.build:\n" + reused + "\n" + fresh);
                }
            }
            int w = rnd.nextInt(who.length);
            boolean write = rnd.nextBoolean();
            int api = rnd.nextInt(5); // 0, 1: value; 2: byte[]; 3: heap ByteBuf; 4: direct ByteBuf
            int len = api < 2 ? PRIMITIVE[rnd.nextInt(4)] : rnd.nextInt(50) == 0 ? 0 : 1 + rnd.nextInt(64);
            long addr = address(rnd, aim, len);
            String p = access(m, who[w], ports[w], api, write, addr, len, rnd, stats);
            if (p != null) {
                problems.add("access " + k + changed + ": " + p);
            }
        }
        problems.addAll(sweep(m));
        if (m.watch.violations != 0) {
            problems.add(m.watch.violations + " non-vCPU access(es) reached a BAR region's ops or memory without "
                    + "the P2P handler; first: " + m.watch.firstViolation);
        }
        stats.vcpuBarTouches += m.watch.vcpuBarTouches;
        stats.violations += m.watch.violations;
        if (problems.isEmpty()) {
            return null;
        }
        return "seed " + seed + ": " + String.join("\n", problems) + "\n" + m.describe();
    }

    /** Where to aim accesses in the current topology. */
    private record Aim(boolean small, long limit, long[] points) {
    }

    /**
     * Small address spaces are aimed at anywhere below their end; every space also at the addresses where
     * answers change: flat-range edges and (for 2^64 spaces) the reference's boundaries.
     */
    private static Aim aim(InstrumentedModel m) {
        BigInteger limit = m.ref.renderer().limit();
        boolean small = limit.compareTo(BigInteger.valueOf(1 << 14)) <= 0;
        TreeSet<Long> set = new TreeSet<>(Long::compareUnsigned);
        set.add(0L);
        set.add(-1L);
        for (FlatRange r : m.mediator.space().flatView().ranges()) {
            set.add(r.start());
            set.add(r.last() + 1);
        }
        if (!small) {
            for (BigInteger b : m.ref.renderer().boundaries()) {
                set.add(b.longValue());
            }
        }
        return new Aim(small, small ? limit.longValue() : 0, set.stream().mapToLong(Long::longValue).toArray());
    }

    private static long address(SplittableRandom rnd, Aim aim, int len) {
        int r = rnd.nextInt(100);
        if (r < 4) {
            return -len - rnd.nextInt(3) + 1; // ends at 2^64-1, or one or two bytes past it
        }
        if (r < 6) {
            return rnd.nextLong();
        }
        if (aim.small && r < 70) {
            return rnd.nextLong(aim.limit + 16);
        }
        return aim.points[rnd.nextInt(aim.points.length)] + rnd.nextInt(72) - 64; // straddles the point
    }

    private static String access(InstrumentedModel m, Initiator who, DmaPort port, int api, boolean write, long addr,
                                 int len, SplittableRandom rnd, Stats stats) {
        byte[] data = new byte[len];
        if (write) {
            rnd.nextBytes(data);
        }
        m.watch.start(!who.isVcpu());
        NaiveDma.Expectation exp = m.ref.access(who.isVcpu(), who.id(), addr, write, data);
        stats.accesses++;
        stats.bytes += len;
        if (who.isVcpu()) {
            stats.vcpu++;
        } else if (who.kind() == Initiator.Kind.SOFTWARE_DEVICE) {
            stats.software++;
        } else {
            stats.passthrough++;
        }
        if (len > 0 && Long.compareUnsigned(addr, -len) > 0) {
            stats.wraps++;
        } else if (len > 0 && addr == -len) {
            stats.endAtTop++;
        }
        String what = (write ? "write " : "read ") + Size.hex(addr) + "+" + len + " by " + who + " via "
                + new String[] {"value", "value", "byte[]", "heap ByteBuf", "direct ByteBuf"}[api];
        List<String> diffs = new ArrayList<>();
        int result;
        byte[] got = null;       // bytes read
        boolean moved = true;    // whether buffer indices/slack behaved
        if (api < 2) {
            if (write) {
                long value = 0;
                for (int i = len - 1; i >= 0; i--) {
                    value = (value << 8) | (data[i] & 0xffL);
                }
                result = port.write(addr, len, value);
            } else {
                long v = port.read(addr, len);
                result = port.result();
                got = new byte[len];
                for (int i = 0; i < len; i++) {
                    got[i] = (byte) (v >>> (8 * i));
                }
                if (exp.data() == null && v != 0) {
                    diffs.add("read past 2^64 returned " + Long.toHexString(v) + ", expected 0");
                }
            }
        } else if (api == 2) {
            int off = rnd.nextInt(9);
            byte[] arr = new byte[len + 16];
            Arrays.fill(arr, (byte) 0x5a);
            System.arraycopy(data, 0, arr, off, len);
            byte[] before = arr.clone();
            result = write ? port.write(addr, arr, off, len) : port.read(addr, arr, off, len);
            if (write || exp.data() == null) {
                if (!Arrays.equals(before, arr)) {
                    diffs.add("the array changed: " + hex(arr) + ", expected " + hex(before));
                }
            } else {
                got = Arrays.copyOfRange(arr, off, off + len);
                for (int i = 0; i < arr.length; i++) {
                    if ((i < off || i >= off + len) && arr[i] != 0x5a) {
                        diffs.add("byte " + i + " of the array outside [" + off + ", " + (off + len) + ") changed");
                        break;
                    }
                }
            }
        } else {
            ByteBuf buf = api == 3 ? Unpooled.buffer(len + 16) : Unpooled.directBuffer(len + 16);
            try {
                int pre = rnd.nextInt(9);
                buf.writeZero(pre);
                if (write) {
                    buf.writeBytes(data);
                    buf.readerIndex(pre);
                    result = port.write(addr, buf, len);
                    int expected = len > 0 && Long.compareUnsigned(addr, -len) > 0 ? pre : pre + len;
                    if (buf.readerIndex() != expected) {
                        diffs.add("reader index " + buf.readerIndex() + ", expected " + expected);
                    }
                } else {
                    result = port.read(addr, buf, len);
                    int expected = exp.data() == null ? pre : pre + len;
                    if (buf.writerIndex() != expected) {
                        diffs.add("writer index " + buf.writerIndex() + ", expected " + expected);
                    }
                    if (exp.data() != null) {
                        got = new byte[len];
                        buf.getBytes(pre, got);
                    }
                }
            } finally {
                buf.release();
            }
        }
        if (result != exp.result()) {
            diffs.add("result " + MemTxResult.describe(result) + ", expected " + MemTxResult.describe(exp.result()));
        }
        if (!write && exp.data() != null && !Arrays.equals(got, exp.data())) {
            diffs.add("read " + hex(got) + ", expected " + hex(exp.data()));
        }
        if (!m.watch.mmio.equals(exp.mmio())) {
            diffs.add("MMIO calls " + m.watch.mmio + ", expected " + exp.mmio());
        }
        if (!m.watch.p2p.equals(exp.p2p())) {
            diffs.add("P2P calls " + m.watch.p2p + ", expected " + exp.p2p());
        }
        stats.p2pCalls += m.watch.p2p.size();
        stats.mmioCalls += m.watch.mmio.size();
        return diffs.isEmpty() ? null : what + (write ? " of " + hex(data) : "") + ": " + String.join("; ", diffs);
    }

    /** Compares every region's memory with the reference's shadow: no write went where it should not. */
    private static List<String> sweep(InstrumentedModel m) {
        List<String> problems = new ArrayList<>();
        m.memory.forEach((id, mem) -> {
            RegionSpec r = m.spec.byId(id);
            Set<Long> offsets = new TreeSet<>(m.ref.writtenOffsets(id));
            for (long[] range : NaiveDma.presetRanges(r)) {
                for (long o = range[0]; o < range[0] + range[1]; o++) {
                    offsets.add(o);
                }
            }
            for (long o : offsets) {
                byte expected = m.ref.ram(id, o);
                byte got = (byte) mem.read(o, 1);
                if (got != expected) {
                    problems.add("memory of #" + id + " at " + Size.hex(o) + " is " + String.format("%02x", got)
                            + ", expected " + String.format("%02x", expected));
                    return;
                }
            }
        });
        return problems;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }
}
