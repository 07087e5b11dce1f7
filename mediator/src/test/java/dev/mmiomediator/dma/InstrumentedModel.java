package dev.mmiomediator.dma;

import dev.mmiomediator.fixtures.dma.NaiveDma;
import dev.mmiomediator.fixtures.regions.RegionSpec;
import dev.mmiomediator.fixtures.regions.RandomRegionTrees;
import dev.mmiomediator.fixtures.regions.RegionTreeSpec;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RamBacking;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.memory.SparseRam;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A {@link RegionTreeSpec} built with the real memory API for DMA tests, with random subtrees tagged as
 * passthrough BARs, and instrumented: RAM-like regions have known content ({@link NaiveDma#initialRamByte}) in
 * memory that reports every use, MMIO and ROM devices have random valid access sizes and record their calls,
 * and the mediator's P2P handler records its calls. The {@link NaiveDma} reference of the same topology comes
 * with it, and {@link #change} changes both alike.
 */
final class InstrumentedModel {
    static final String[] DEVICES = {"0000:01:00.0", "0000:02:00.0", "0000:03:00.1"};
    static final int[][] ACCESS_SIZES = {{1, 8}, {1, 1}, {1, 2}, {2, 4}, {4, 4}, {4, 8}, {8, 8}, {1, 4}, {2, 8}};

    final RegionTreeSpec spec;
    final String shape;
    final Watch watch = new Watch();
    final Map<Integer, MemoryRegion> byId = new HashMap<>();
    final Map<Integer, RamBacking> memory = new HashMap<>();
    final Map<Integer, NaiveDma.Tag> tags = new HashMap<>();
    final Set<Integer> romdOff = new HashSet<>();
    final Map<Integer, int[]> accessSizes = new HashMap<>();
    final boolean ramOnly;
    final MemorySystem sys = new MemorySystem();
    final List<String> changes = new ArrayList<>();
    final Mediator mediator;
    final NaiveDma ref;

    InstrumentedModel(RegionTreeSpec spec, String shape, SplittableRandom rnd) {
        this.spec = spec;
        this.shape = shape;
        // tags first: the instruments need to know which regions lie inside a BAR
        List<RegionSpec> taggable = new ArrayList<>();
        for (RegionSpec r : spec.regions()) {
            if (r.kind() != RegionSpec.Kind.ALIAS) {
                taggable.add(r);
            }
        }
        for (int k = rnd.nextInt(4); k > 0; k--) {
            RegionSpec r = taggable.get(rnd.nextInt(taggable.size()));
            tags.put(r.id(), new NaiveDma.Tag(DEVICES[rnd.nextInt(DEVICES.length)], rnd.nextInt(6)));
        }
        ramOnly = rnd.nextInt(5) == 0;
        markBars();
        for (RegionSpec r : spec.creationOrder()) {
            Size size = r.size().equals(RegionSpec.FULL) ? Size.FULL : Size.of(r.size().longValueExact());
            MemoryRegion mr;
            switch (r.kind()) {
                case RAM: mr = sys.ram(r.name(), size); break;
                case ROM: mr = sys.rom(r.name(), size); break;
                case RAM_DEVICE: mr = sys.ramDevice(r.name(), size); break;
                case ROM_DEVICE: mr = sys.romDevice(r.name(), size, ops(r, rnd)); break;
                case MMIO: mr = sys.mmio(r.name(), size, ops(r, rnd)); break;
                case CONTAINER: mr = sys.container(r.name(), size); break;
                case ALIAS: mr = sys.alias(r.name(), byId.get(r.aliasTargetId()), r.aliasOffset(), size); break;
                default: throw new AssertionError(r.kind());
            }
            if (NaiveDma.ramLike(r.kind()) && NaiveDma.backed(r)) {
                long bytes = size.bytes();
                RamBacking inner = bytes <= 4096 && rnd.nextInt(3) == 0
                        ? new ByteBufRam(Unpooled.buffer((int) bytes, (int) bytes)) : new SparseRam(bytes);
                for (long[] range : NaiveDma.presetRanges(r)) {
                    byte[] content = new byte[(int) range[1]];
                    for (int i = 0; i < content.length; i++) {
                        content[i] = NaiveDma.initialRamByte(r, range[0] + i);
                    }
                    inner.write(range[0], content, 0, content.length);
                }
                memory.put(r.id(), inner);
                mr.setRamBacking(new WatchedRam(inner, r.id(), watch));
            }
            if (r.kind() == RegionSpec.Kind.ROM_DEVICE && rnd.nextInt(4) == 0) {
                mr.setRomdMode(false);
                romdOff.add(r.id());
            }
            if (!r.enabled()) {
                mr.setEnabled(false);
            }
            if (r.readOnly()) {
                mr.setReadOnly(true);
            }
            byId.put(r.id(), mr);
        }
        AddressSpace as = sys.addressSpace("as", byId.get(spec.root().id()));
        sys.transaction(() -> {
            for (RegionTreeSpec.Event e : spec.history()) {
                MemoryRegion child = byId.get(e.child().id());
                if (e.type() == RegionTreeSpec.EventType.ADD) {
                    byId.get(e.parent().id()).addSubregion(child, e.address(), e.priority());
                } else {
                    child.setAddress(e.address());
                }
            }
            tags.forEach((id, t) -> byId.get(id).setPassthroughBar(
                    new PassthroughBar(PciAddress.parse(t.device()), t.bar())));
        });
        mediator = new Mediator(as, new RecordingHandler(watch), ramOnly);
        ref = new NaiveDma(spec, tags, romdOff, accessSizes, ramOnly);
    }

    private MemoryRegionOps ops(RegionSpec r, SplittableRandom rnd) {
        int[] sizes = ACCESS_SIZES[rnd.nextInt(ACCESS_SIZES.length)];
        accessSizes.put(r.id(), sizes);
        return new RecordingOps(r.id(), sizes, watch);
    }

    private void markBars() {
        watch.inBar = new boolean[spec.regions().size()];
        for (RegionSpec r : spec.regions()) {
            watch.inBar[r.id()] = NaiveDma.barOf(r, tags) != null;
        }
    }

    /**
     * One to three random changes in one transaction, to the spec and the real regions alike: moves, enabling
     * or disabling, read-only on or off, BAR tags added or removed. Ports must see the new views at once.
     */
    String change(SplittableRandom rnd) {
        List<String> done = new ArrayList<>();
        sys.transaction(() -> {
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                RegionSpec r = spec.byId(rnd.nextInt(spec.regions().size()));
                MemoryRegion mr = byId.get(r.id());
                int what = rnd.nextInt(4);
                if (what == 0 && r.parent() != null) {
                    long to = rnd.nextInt(5) == 0 ? r.address() : r.address() + rnd.nextInt(65) - 32;
                    if (r.parent().size().compareTo(BigInteger.valueOf(1 << 16)) <= 0 && rnd.nextBoolean()) {
                        to = rnd.nextLong(r.parent().size().longValue() + 8);
                    }
                    BigInteger end = new BigInteger(Long.toUnsignedString(to)).add(r.size());
                    if (end.compareTo(RegionSpec.FULL) <= 0) {
                        spec.setAddress(r, to);
                        mr.setAddress(to);
                        done.add("move #" + r.id() + " to " + Size.hex(to));
                    }
                } else if (what == 1) {
                    spec.setEnabled(r, !r.enabled());
                    mr.setEnabled(r.enabled());
                    done.add((r.enabled() ? "enable #" : "disable #") + r.id());
                } else if (what == 2 && r.kind() != RegionSpec.Kind.ROM) {
                    spec.setReadOnly(r, !r.readOnly());
                    mr.setReadOnly(r.readOnly());
                    done.add("read-only " + r.readOnly() + " #" + r.id());
                } else if (what == 3 && r.kind() != RegionSpec.Kind.ALIAS) {
                    if (tags.remove(r.id()) != null) {
                        mr.setPassthroughBar(null);
                        done.add("untag #" + r.id());
                    } else {
                        NaiveDma.Tag t = new NaiveDma.Tag(DEVICES[rnd.nextInt(DEVICES.length)], rnd.nextInt(6));
                        tags.put(r.id(), t);
                        mr.setPassthroughBar(new PassthroughBar(PciAddress.parse(t.device()), t.bar()));
                        done.add("tag #" + r.id() + " as " + t);
                    }
                }
            }
        });
        markBars();
        ref.topologyChanged(tags);
        changes.addAll(done);
        return String.join(", ", done);
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(shape).append(" tree, ramOnly=").append(ramOnly).append(", tags ").append(tags)
                .append(", ROMD mode off ").append(romdOff).append(", access sizes {");
        accessSizes.forEach((id, s) -> sb.append(" #").append(id).append("=").append(s[0]).append("..").append(s[1]));
        sb.append(" }\n");
        if (!changes.isEmpty()) {
            sb.append("changes after the history (the dump shows the topology after them): ").append(changes)
                    .append('\n');
        }
        sb.append(spec.dump());
        sb.append(mediator.view(Initiator.vcpu())).append('\n');
        sb.append(mediator.view(Initiator.softwareDevice("x"))).append('\n');
        return sb.toString();
    }

    /** A small tree moved to the very top of a 2^64 root, so that its last byte is at 2^64-1. */
    static RegionTreeSpec atTheTop(long seed) {
        RegionTreeSpec spec = RandomRegionTrees.small(seed);
        RegionSpec old = spec.root();
        RegionSpec root = spec.region(RegionSpec.Kind.CONTAINER, RegionSpec.FULL);
        spec.setRoot(root);
        spec.add(root, old, -old.size().longValueExact(), 0);
        return spec;
    }

    /** What the instrumented devices and memory saw during the current access. */
    static final class Watch {
        boolean deviceAccess;
        long violations;
        String firstViolation;
        long vcpuBarTouches;
        /** By region id: whether the region lies inside a BAR (is tagged, or has a tagged ancestor). */
        boolean[] inBar;
        final List<NaiveDma.MmioCall> mmio = new ArrayList<>();
        final List<NaiveDma.P2pCall> p2p = new ArrayList<>();

        void start(boolean device) {
            deviceAccess = device;
            mmio.clear();
            p2p.clear();
        }

        void touch(int id, String what) {
            if (!inBar[id]) {
                return;
            }
            if (deviceAccess) {
                violations++;
                if (firstViolation == null) {
                    firstViolation = what + " of region #" + id + " (inside a BAR) by a non-vCPU access";
                }
            } else {
                vcpuBarTouches++;
            }
        }
    }

    /** Memory of one region, reporting every use. */
    static final class WatchedRam implements RamBacking {
        final RamBacking inner;
        final int id;
        final Watch watch;

        WatchedRam(RamBacking inner, int id, Watch watch) {
            this.inner = inner;
            this.id = id;
            this.watch = watch;
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public long read(long offset, int size) {
            watch.touch(id, "memory read");
            return inner.read(offset, size);
        }

        @Override
        public void write(long offset, int size, long value) {
            watch.touch(id, "memory write");
            inner.write(offset, size, value);
        }

        @Override
        public void read(long offset, byte[] dst, int dstIndex, int length) {
            watch.touch(id, "memory read");
            inner.read(offset, dst, dstIndex, length);
        }

        @Override
        public void write(long offset, byte[] src, int srcIndex, int length) {
            watch.touch(id, "memory write");
            inner.write(offset, src, srcIndex, length);
        }

        @Override
        public void read(long offset, ByteBuf dst, int dstIndex, int length) {
            watch.touch(id, "memory read");
            inner.read(offset, dst, dstIndex, length);
        }

        @Override
        public void write(long offset, ByteBuf src, int srcIndex, int length) {
            watch.touch(id, "memory write");
            inner.write(offset, src, srcIndex, length);
        }
    }

    /** Device registers answering {@link NaiveDma#mmioByte} and recording every call. */
    static final class RecordingOps implements MemoryRegionOps {
        final int id;
        final int min;
        final int max;
        final Watch watch;

        RecordingOps(int id, int[] sizes, Watch watch) {
            this.id = id;
            this.min = sizes[0];
            this.max = sizes[1];
            this.watch = watch;
        }

        @Override
        public long read(long offset, int size) {
            watch.touch(id, "MMIO read");
            watch.mmio.add(new NaiveDma.MmioCall(id, offset, size, false, 0));
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (NaiveDma.mmioByte(id, offset + i) & 0xffL) << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, long value, int size) {
            watch.touch(id, "MMIO write");
            watch.mmio.add(new NaiveDma.MmioCall(id, offset, size, true, value));
        }

        @Override
        public int minAccessSize() {
            return min;
        }

        @Override
        public int maxAccessSize() {
            return max;
        }
    }

    /** A P2P policy answering {@link NaiveDma#p2pByte} and {@link NaiveDma#p2pResult}, recording every call. */
    static final class RecordingHandler implements P2pHandler {
        final Watch watch;

        RecordingHandler(Watch watch) {
            this.watch = watch;
        }

        @Override
        public int handle(P2pAccess a) {
            NaiveDma.Tag bar = new NaiveDma.Tag(a.bar().device().toString(), a.bar().bar());
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < a.length(); i++) {
                if (a.write()) {
                    hex.append(String.format("%02x", a.data()[i] & 0xff));
                } else {
                    a.data()[i] = NaiveDma.p2pByte(bar, a.barOffset() + i);
                }
            }
            if (a.data().length < a.length()) {
                hex.append(" (data array of ").append(a.data().length).append(" bytes)");
            }
            watch.p2p.add(new NaiveDma.P2pCall(a.initiator().id(), bar, a.barOffset(), a.length(), a.write(),
                    hex.toString()));
            return NaiveDma.p2pResult(bar);
        }
    }
}
