package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.fixtures.RandomCampaign;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Randomized differential test of the ports' own views: commits (moves, enabling, priorities, read-only flags, new
 * backings of every kind, a BAR removed and put back; alone or several in one transaction) interleave with
 * accesses of several ports, vCPU and device ones, some made at the start, some made later (one of them inside an
 * open transaction), some dropped. Every access goes through a random API (1/2/4/8-byte values, {@code byte[]},
 * heap and direct {@code ByteBuf} copies, the lookup {@link DmaPort#section}), often next to the port's previous
 * address so its last-hit caches serve it, and is compared byte by byte with a reference: the section that a view
 * freshly built from the current flat view gives the address ({@link MediatedView#indexOf}), and for RAM a shadow
 * copy of every backing's bytes that the test keeps itself. Before every commit each live backing, and each backing
 * the previous commit retired, is compared with its shadow, so a write through a stale view into old memory is
 * found too.
 *
 * <p>System properties: {@code mmio.random.portAccesses} (default 30,000 accesses, about 1,200 commits) and
 * {@code mmio.random.seed} (default random; printed).
 */
class DmaPortCommitRandomTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long SPACE = 0x20000;
    private static final int[] PRIMITIVE = {1, 2, 4, 8};

    private final List<ByteBuf> buffers = new ArrayList<>();
    /** The test's own copy of every backing's bytes. */
    private final Map<RamBacking, byte[]> shadows = new IdentityHashMap<>();
    /** Backings replaced by the last commit: compared after the accesses that follow it, then forgotten. */
    private final List<RamBacking> retired = new ArrayList<>();

    private SplittableRandom rnd;
    private MemorySystem sys;
    private MemoryRegion system;
    private AddressSpace memory;
    private Mediator mediator;
    private final List<MemoryRegion> rams = new ArrayList<>();
    private final List<MemoryRegion> movable = new ArrayList<>();
    private MemoryRegion bar;
    private MediatedView freshVcpu;
    private MediatedView freshDevice;
    private String context = "";

    @AfterEach
    void release() {
        buffers.forEach(ByteBuf::release);
    }

    /** MMIO whose byte at offset o reads as o * 7 + 0x5a, whatever the access size; writes are dropped. */
    private static final MemoryRegionOps DEVICE = new MemoryRegionOps() {
        @Override
        public long read(long offset, int size) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (mmioByte(offset + i) & 0xffL) << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, long value, int size) {
        }

        @Override
        public int minAccessSize() {
            return 1;
        }

        @Override
        public int maxAccessSize() {
            return 8;
        }
    };

    private static byte mmioByte(long offset) {
        return (byte) (offset * 7 + 0x5a);
    }

    private static byte p2pByte(long barOffset) {
        return (byte) (barOffset ^ 0xa5);
    }

    private RamBacking newBacking(long size) {
        byte[] content = new byte[(int) size];
        rnd.nextBytes(content);
        RamBacking b;
        switch (rnd.nextInt(3)) {
            case 0: {
                ByteBuf buf = Unpooled.buffer((int) size, (int) size).writeBytes(content);
                buffers.add(buf);
                b = new ByteBufRam(buf);
                break;
            }
            case 1: {
                ByteBuf buf = Unpooled.directBuffer((int) size, (int) size).writeBytes(content);
                buffers.add(buf);
                b = new ByteBufRam(buf);
                break;
            }
            default:
                b = new SparseRam(size);
                b.write(0, content, 0, content.length);
                break;
        }
        shadows.put(b, content.clone());
        return b;
    }

    private long randomPlace(MemoryRegion r) {
        return (rnd.nextLong(SPACE - r.size().bytes()) + 1) & ~0x7fL;
    }

    private void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.of(SPACE));
        for (int i = 0; i < 5; i++) {
            MemoryRegion r = sys.ram("ram" + i, Size.of(0x1000L * (1 + rnd.nextInt(3))));
            r.setRamBacking(newBacking(r.size().bytes()));
            rams.add(r);
        }
        MemoryRegion window = sys.alias("ram0-window", rams.get(0), 0x400, Size.of(0x800));
        MemoryRegion dev = sys.mmio("dev", Size.of(0x1000), DEVICE);
        bar = sys.ramDevice(NIC + " BAR 0", Size.of(0x2000));
        bar.setRamBacking(newBacking(0x2000));
        movable.addAll(rams);
        movable.add(window);
        movable.add(dev);
        movable.add(bar);
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (MemoryRegion r : movable) {
                system.addSubregion(r, randomPlace(r), rnd.nextInt(3) - 1);
            }
            bar.setPassthroughBar(new PassthroughBar(NIC, 0));
        }
        memory = sys.addressSpace("memory", system);
        mediator = new Mediator(memory, a -> {
            if (!a.write()) {
                for (int i = 0; i < a.length(); i++) {
                    a.data()[i] = p2pByte(a.barOffset() + i);
                }
            }
            return MemTxResult.P2P_FORWARDED;
        }, false);
        fresh();
    }

    private void fresh() {
        freshVcpu = MediatedView.build(memory.flatView(), true, false);
        freshDevice = MediatedView.build(memory.flatView(), false, false);
    }

    /** One random change; returns what it did. */
    private String change() {
        MemoryRegion r = movable.get(rnd.nextInt(movable.size()));
        switch (rnd.nextInt(6)) {
            case 0: {
                long at = randomPlace(r);
                if (r.container() != null) {
                    r.setAddress(at);
                }
                return "move " + r.name() + " to " + Long.toHexString(at);
            }
            case 1:
                r.setEnabled(!r.isEnabled());
                return (r.isEnabled() ? "enable " : "disable ") + r.name();
            case 2: {
                int p = rnd.nextInt(4) - 1;
                if (r.container() != null) {
                    r.setPriority(p);
                }
                return "priority " + p + " for " + r.name();
            }
            case 3:
                r.setReadOnly(!r.isReadOnly());
                return (r.isReadOnly() ? "read-only " : "writable ") + r.name();
            case 4: {
                MemoryRegion target = rnd.nextInt(4) == 0 ? bar : rams.get(rnd.nextInt(rams.size()));
                retired.add(target.ramBacking());
                target.setRamBacking(newBacking(target.size().bytes()));
                return "new backing " + target.ramBacking().getClass().getSimpleName() + " for " + target.name();
            }
            default:
                if (bar.container() != null) {
                    system.removeSubregion(bar);
                    return "remove the BAR";
                }
                long at = randomPlace(bar);
                system.addSubregion(bar, at);
                return "put the BAR back at " + Long.toHexString(at);
        }
    }

    private final class Port {
        final DmaPort port;
        final boolean vcpu;
        long last;

        Port(DmaPort port) {
            this.port = port;
            this.vcpu = port.initiator().isVcpu();
            this.last = rnd.nextLong(SPACE);
        }
    }

    private Port newPort() {
        boolean vcpu = rnd.nextBoolean();
        return new Port(mediator.port(vcpu ? Initiator.vcpu() : Initiator.softwareDevice("dev" + rnd.nextInt(4))));
    }

    @Test
    void portsInterleavedWithCommitsMatchAFreshViewAndShadowMemory() {
        long seed = RandomCampaign.seed();
        long accesses = RandomCampaign.size("mmio.random.portAccesses", 30_000);
        System.out.println("DmaPortCommitRandomTest: mmio.random.seed=" + seed + " mmio.random.portAccesses="
                + accesses);
        rnd = new SplittableRandom(seed);
        machine();
        List<Port> ports = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ports.add(new Port(mediator.port(i % 2 == 0 ? Initiator.vcpu() : Initiator.softwareDevice("dev" + i))));
        }
        long commits = 0;
        context = "seed " + seed + ", before any commit";
        for (long n = 0; n < accesses; n++) {
            if (rnd.nextInt(25) == 0) {
                checkShadows(); // the memory after the accesses since the last commit, retired backings included
                commits++;
                context = "seed " + seed + ", commit " + commits + " (" + commit(ports) + ")";
            }
            Port p = ports.get(rnd.nextInt(ports.size()));
            access(p, n);
        }
        checkShadows();
        System.out.println("DmaPortCommitRandomTest: " + accesses + " accesses, " + commits + " commits, "
                + ports.size() + " ports at the end");
    }

    private String commit(List<Port> ports) {
        StringBuilder what = new StringBuilder();
        int changes = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(3) : 1;
        if (changes == 1) {
            what.append(change());
        } else {
            try (MemorySystem.Transaction tx = sys.begin()) {
                for (int i = 0; i < changes; i++) {
                    what.append(i == 0 ? "" : "; ").append(change());
                    if (rnd.nextInt(8) == 0) {
                        ports.add(newPort()); // made inside the open transaction: it must still get its commit
                        what.append("; a port made inside the transaction");
                    }
                }
            }
        }
        if (rnd.nextInt(4) == 0) {
            ports.add(newPort());
        }
        if (ports.size() > 6 && rnd.nextInt(2) == 0) {
            ports.remove(rnd.nextInt(ports.size())); // dropped: the mediator must not mind
        }
        fresh();
        return what.toString();
    }

    private void checkShadows() {
        List<RamBacking> check = new ArrayList<>(retired);
        retired.clear();
        for (MemoryRegion r : rams) {
            check.add(r.ramBacking());
        }
        check.add(bar.ramBacking());
        for (RamBacking b : check) {
            byte[] want = shadows.get(b);
            byte[] got = new byte[want.length];
            b.read(0, got, 0, got.length);
            if (!Arrays.equals(want, got)) {
                int i = Arrays.mismatch(want, got);
                fail(context + ": backing " + b.getClass().getSimpleName() + " byte 0x" + Integer.toHexString(i)
                        + " is " + (got[i] & 0xff) + ", expected " + (want[i] & 0xff));
            }
        }
        for (RamBacking b : check) {
            boolean live = b == bar.ramBacking() || rams.stream().anyMatch(r -> r.ramBacking() == b);
            if (!live) {
                shadows.remove(b); // retired and checked after the accesses that followed its commit: forget it
            }
        }
    }

    /** What one byte at {@code a} reads as for the view {@code v}, and its result bit. */
    private long[] expectByte(MediatedView v, long a) {
        int i = v.indexOf(a);
        if (i < 0) {
            return new long[] {0, MemTxResult.DECODE_ERROR};
        }
        Section s = v.section(i);
        switch (s.kind()) {
            case RAM:
                byte[] shadow = shadows.get(s.region().ramBacking());
                return new long[] {shadow[(int) s.offsetInRegion(a)] & 0xff, MemTxResult.OK};
            case MMIO:
                return new long[] {mmioByte(s.offsetInRegion(a)) & 0xff, MemTxResult.OK};
            case P2P:
                return new long[] {p2pByte(s.barOffset(a)) & 0xff, MemTxResult.P2P_FORWARDED};
            default:
                throw new AssertionError("unexpected section " + s);
        }
    }

    /** The reference's write of one byte at {@code a}: its result bit. */
    private int writeByte(MediatedView v, long a, byte b) {
        int i = v.indexOf(a);
        if (i < 0) {
            return MemTxResult.DECODE_ERROR;
        }
        Section s = v.section(i);
        switch (s.kind()) {
            case RAM:
                if (!s.readOnly()) {
                    shadows.get(s.region().ramBacking())[(int) s.offsetInRegion(a)] = b;
                }
                return MemTxResult.OK;
            case MMIO:
                return MemTxResult.OK;
            case P2P:
                return MemTxResult.P2P_FORWARDED;
            default:
                throw new AssertionError("unexpected section " + s);
        }
    }

    private void access(Port p, long n) {
        MediatedView v = p.vcpu ? freshVcpu : freshDevice;
        int op = rnd.nextInt(7);
        int len = op < 2 ? PRIMITIVE[rnd.nextInt(4)]
                : rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(0x2000) : 1 + rnd.nextInt(64); // some across sections
        long a = rnd.nextInt(3) != 0 ? p.last + rnd.nextInt(64) - 16 : rnd.nextLong(SPACE);
        a = Math.max(0, Math.min(a, SPACE - len));
        p.last = a;
        String what = context + ", access " + n + " by " + p.port + " at 0x" + Long.toHexString(a) + "+" + len;
        byte[] want = new byte[len];
        int wantResult = 0;
        if (op == 0 || op == 2 || op == 4) {
            for (int i = 0; i < len; i++) {
                long[] e = expectByte(v, a + i);
                want[i] = (byte) e[0];
                wantResult |= (int) e[1];
            }
        }
        switch (op) {
            case 0: {
                long got = p.port.read(a, len);
                long wantValue = 0;
                for (int i = len - 1; i >= 0; i--) {
                    wantValue = (wantValue << 8) | (want[i] & 0xffL);
                }
                check(what + " (value read)", wantValue, got, wantResult, p.port.result());
                break;
            }
            case 1: {
                long value = rnd.nextLong();
                for (int i = 0; i < len; i++) {
                    wantResult |= writeByte(v, a + i, (byte) (value >>> (8 * i)));
                }
                check(what + " (value write)", 0, 0, wantResult, p.port.write(a, len, value));
                break;
            }
            case 2: {
                byte[] dst = new byte[len + 2];
                int r = p.port.read(a, dst, 1, len);
                checkBytes(what + " (byte[] read)", want, Arrays.copyOfRange(dst, 1, len + 1), wantResult, r);
                break;
            }
            case 3: {
                byte[] src = new byte[len];
                rnd.nextBytes(src);
                for (int i = 0; i < len; i++) {
                    wantResult |= writeByte(v, a + i, src[i]);
                }
                check(what + " (byte[] write)", 0, 0, wantResult, p.port.write(a, src, 0, len));
                break;
            }
            case 4: {
                ByteBuf dst = rnd.nextBoolean() ? Unpooled.buffer(len) : Unpooled.directBuffer(len);
                try {
                    dst.writeByte(0x77);
                    int r = p.port.read(a, dst, len);
                    byte[] got = new byte[len];
                    dst.getBytes(1, got);
                    checkBytes(what + " (ByteBuf read)", want, got, wantResult, r);
                } finally {
                    dst.release();
                }
                break;
            }
            case 5: {
                byte[] src = new byte[len];
                rnd.nextBytes(src);
                for (int i = 0; i < len; i++) {
                    wantResult |= writeByte(v, a + i, src[i]);
                }
                ByteBuf buf = rnd.nextBoolean() ? Unpooled.buffer(len + 1) : Unpooled.directBuffer(len + 1);
                try {
                    buf.writeByte(0).writeBytes(src).readerIndex(1);
                    check(what + " (ByteBuf write)", 0, 0, wantResult, p.port.write(a, buf, len));
                } finally {
                    buf.release();
                }
                break;
            }
            default: {
                int i = v.indexOf(a);
                Section want1 = i < 0 ? null : v.section(i);
                Section got = p.port.section(a);
                if (want1 == null ? got != null : !want1.equals(got)) {
                    fail(what + " (lookup): " + got + ", expected " + want1);
                }
            }
        }
    }

    private static void check(String what, long want, long got, int wantResult, int gotResult) {
        if (want != got || wantResult != gotResult) {
            fail(what + ": got 0x" + Long.toHexString(got) + " result " + gotResult + ", expected 0x"
                    + Long.toHexString(want) + " result " + wantResult);
        }
    }

    private static void checkBytes(String what, byte[] want, byte[] got, int wantResult, int gotResult) {
        if (!Arrays.equals(want, got) || wantResult != gotResult) {
            int i = Arrays.mismatch(want, got);
            fail(what + ": result " + gotResult + " (expected " + wantResult + ")"
                    + (i < 0 ? "" : ", byte " + i + " is 0x" + Integer.toHexString(got[i] & 0xff) + ", expected 0x"
                    + Integer.toHexString(want[i] & 0xff)));
        }
    }
}
