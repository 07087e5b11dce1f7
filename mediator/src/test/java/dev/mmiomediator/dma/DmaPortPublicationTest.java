package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
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
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every port holds its own view, which the mediator stores after each commit: a port made before a commit and one
 * made after it see the commit's result on their very next access, through every access path (8-byte values,
 * {@code byte[]} and {@code ByteBuf} copies, writes), with their last-hit RAM caches warmed on the old view just
 * before. The machine:
 * <pre>
 * 0x10000-0x10fff  ram   ram    (ByteBufRam, bytes 0x11)
 * 0x20000-0x20fff  ram   sparse (SparseRam, bytes 0x33)
 * 0x40000-0x40fff  ramd  0000:01:00.0 BAR 0 (bytes 0x44; P2P for devices, answered with 0xc0 bytes)
 * </pre>
 * And the mediator keeps its ports weakly: ports an emulator drops are pruned from its registry.
 */
class DmaPortPublicationTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long RAM = 0x10000;
    private static final long MOVED = 0x30000;
    private static final long SPARSE = 0x20000;
    private static final long BAR = 0x40000;
    private static final long P2P_BYTE = 0xc0;

    private MemorySystem sys;
    private MemoryRegion system;
    private MemoryRegion ram;
    private MemoryRegion sparse;
    private MemoryRegion bar;
    private AddressSpace memory;
    private Mediator mediator;

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        ram = sys.ram("ram", Size.of(0x1000));
        ram.setRamBacking(new ByteBufRam(filled(0x11)));
        sparse = sys.ram("sparse", Size.of(0x1000));
        sparse.setRamBacking(sparse(0x33));
        bar = sys.ramDevice(NIC + " BAR 0", Size.of(0x1000));
        bar.setRamBacking(new ByteBufRam(filled(0x44)));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(ram, RAM);
            system.addSubregion(sparse, SPARSE);
            system.addSubregion(bar, BAR);
            bar.setPassthroughBar(new PassthroughBar(NIC, 0));
        }
        memory = sys.addressSpace("memory", system);
        mediator = new Mediator(memory, a -> {
            if (!a.write()) {
                Arrays.fill(a.data(), 0, a.length(), (byte) P2P_BYTE);
            }
            return MemTxResult.P2P_FORWARDED;
        }, false);
    }

    private static ByteBuf filled(int b) {
        ByteBuf buf = Unpooled.buffer(0x1000, 0x1000);
        for (int i = 0; i < 0x1000; i++) {
            buf.writeByte(b);
        }
        return buf;
    }

    private static SparseRam sparse(int b) {
        SparseRam s = new SparseRam(0x1000);
        byte[] page = new byte[0x1000];
        Arrays.fill(page, (byte) b);
        s.write(0, page, 0, page.length);
        return s;
    }

    private static long repeat(long b) {
        return b * 0x0101010101010101L;
    }

    /** What a port should see at an address: the byte every address there reads (or -1 for none) and the result. */
    private record Expect(long addr, int b, int result) {
    }

    /**
     * The probes of the current topology, for a vCPU or a device port: each RAM window and the BAR, plus the places
     * the test moves things away from.
     */
    private List<Expect> expectations(boolean vcpu, int ramByte, long ramAt, int sparseByte, boolean barThere) {
        List<Expect> e = new ArrayList<>();
        e.add(new Expect(ramAt, ramByte, MemTxResult.OK));
        e.add(new Expect(ramAt == RAM ? MOVED : RAM, 0, MemTxResult.DECODE_ERROR));
        e.add(new Expect(SPARSE, sparseByte, MemTxResult.OK));
        if (!barThere) {
            e.add(new Expect(BAR, 0, MemTxResult.DECODE_ERROR));
        } else if (vcpu) {
            e.add(new Expect(BAR, 0x44, MemTxResult.OK));
        } else {
            e.add(new Expect(BAR, (int) P2P_BYTE, MemTxResult.P2P_FORWARDED));
        }
        return e;
    }

    /** Reads every probe through every read path of {@code port}; the 8-byte read first (the warmed fast path). */
    private static void check(String when, DmaPort port, List<Expect> expect) {
        for (Expect e : expect) {
            String what = when + ": " + port + " at 0x" + Long.toHexString(e.addr);
            long v = port.read(e.addr + 0x10, 8);
            assertEquals(repeat(e.b), v, what + " (8-byte read)");
            assertEquals(e.result, port.result(), what + " (8-byte read's result)");
            assertEquals(repeat(e.b) & 0xffff, port.read(e.addr + 0x22, 2), what + " (2-byte read)");
            byte[] arr = new byte[64];
            assertEquals(e.result, port.read(e.addr + 0x40, arr, 0, arr.length), what + " (byte[] read)");
            byte[] want = new byte[64];
            Arrays.fill(want, (byte) e.b);
            assertArrayEquals(want, arr, what + " (byte[] read)");
            ByteBuf buf = Unpooled.buffer(64);
            try {
                assertEquals(e.result, port.read(e.addr + 0x80, buf, 64), what + " (ByteBuf read)");
                byte[] got = new byte[64];
                buf.getBytes(0, got);
                assertArrayEquals(want, got, what + " (ByteBuf read)");
            } finally {
                buf.release();
            }
        }
    }

    /** Warms every port's last-hit caches on the RAM windows of the current view (so a stale view would be served). */
    private static void warm(List<DmaPort> ports, long... addrs) {
        for (DmaPort p : ports) {
            for (long a : addrs) {
                p.read(a, 8);
                p.read(a, new byte[16], 0, 16);
                p.write(a + 0x800, 8, 0); // offsets the checks never read
            }
        }
    }

    private void checkAll(String when, List<DmaPort> ports, int ramByte, long ramAt, int sparseByte, boolean barThere) {
        for (DmaPort p : ports) {
            check(when, p, expectations(p.initiator().isVcpu(), ramByte, ramAt, sparseByte, barThere));
        }
    }

    private void addPorts(List<DmaPort> ports) {
        ports.add(mediator.port(Initiator.vcpu()));
        ports.add(mediator.port(Initiator.softwareDevice("virtio-net")));
    }

    @Test
    void portsMadeBeforeAndAfterEachCommitSeeItsResultAtOnce() {
        List<DmaPort> ports = new ArrayList<>();
        addPorts(ports);
        checkAll("first", ports, 0x11, RAM, 0x33, true);

        warm(ports, RAM, SPARSE);
        ram.setAddress(MOVED); // a RAM region moved
        addPorts(ports);
        checkAll("after the move", ports, 0x11, MOVED, 0x33, true);

        warm(ports, MOVED, SPARSE);
        ByteBuf second = filled(0x55);
        ram.setRamBacking(new ByteBufRam(second)); // ByteBuf to another ByteBuf: no change to the flat view
        addPorts(ports);
        checkAll("after the ByteBuf backing", ports, 0x55, MOVED, 0x33, true);

        warm(ports, MOVED, SPARSE, BAR);
        system.removeSubregion(bar); // a BAR removed
        addPorts(ports);
        checkAll("after the BAR's removal", ports, 0x55, MOVED, 0x33, false);

        warm(ports, MOVED, SPARSE);
        sparse.setRamBacking(new ByteBufRam(filled(0x66))); // the interface path to the buffer's own
        ram.setRamBacking(sparse(0x77));                    // and the buffer's own to the interface path
        addPorts(ports);
        checkAll("after the swapped backings", ports, 0x77, MOVED, 0x66, false);
    }

    @Test
    void writesAfterASetRamBackingGoToTheNewMemoryOnly() {
        List<DmaPort> ports = new ArrayList<>();
        addPorts(ports);
        ByteBuf first = filled(0);
        ram.setRamBacking(new ByteBufRam(first));
        addPorts(ports);
        warm(ports, RAM);
        ByteBuf second = filled(0);
        ram.setRamBacking(new ByteBufRam(second));
        SparseRam third = new SparseRam(0x1000);
        for (int i = 0; i < ports.size(); i++) {
            DmaPort p = ports.get(i);
            long at = 0x100 + 0x40L * i;
            assertEquals(MemTxResult.OK, p.write(RAM + at, 8, 0x1122334455667788L), p + ": 8-byte write");
            assertEquals(MemTxResult.OK, p.write(RAM + at + 8, new byte[] {1, 2, 3}, 0, 3), p + ": byte[] write");
            assertEquals(0x1122334455667788L, second.getLongLE((int) at), p + ": the new buffer has the write");
            assertEquals(0x030201, second.getMediumLE((int) at + 8), p + ": the new buffer has the bulk write");
            assertEquals(0, first.getLongLE((int) at), p + ": the old buffer does not");
        }
        warm(ports, RAM);
        ram.setRamBacking(third);
        for (int i = 0; i < ports.size(); i++) {
            DmaPort p = ports.get(i);
            long at = 0x100 + 0x40L * i;
            ByteBuf src = Unpooled.wrappedBuffer(new byte[] {9, 8, 7, 6});
            assertEquals(MemTxResult.OK, p.write(RAM + at, 4, 0xabcdef01L), p + ": 4-byte write");
            assertEquals(MemTxResult.OK, p.write(RAM + at + 4, src, 4), p + ": ByteBuf write");
            assertEquals(0x06070809abcdef01L, third.read(at, 8), p + ": the sparse memory has both writes");
            assertEquals(0x1122334455667788L, second.getLongLE((int) at), p + ": the old buffer is unchanged");
        }
    }

    @Test
    void aReadOnlyByteBufRamTakesNoWriteThroughTheFastPath() {
        DmaPort port = mediator.port(Initiator.softwareDevice("virtio-net"));
        ByteBuf mem = filled(0x11);
        ram.setRamBacking(new ByteBufRam(mem));
        assertEquals(repeat(0x11), port.read(RAM, 8)); // the buffer is the port's last-hit RAM
        ram.setReadOnly(true);
        assertEquals(repeat(0x11), port.read(RAM, 8));
        assertEquals(MemTxResult.OK, port.write(RAM, 8, 0)); // ignored, as a write to ROM
        assertEquals(MemTxResult.OK, port.write(RAM, new byte[8], 0, 8));
        assertEquals(repeat(0x11), mem.getLongLE(0));
        ram.setReadOnly(false);
        assertEquals(MemTxResult.OK, port.write(RAM, 8, 0));
        assertEquals(0, mem.getLongLE(0));
    }

    // ---- the registry of ports

    @Test
    void droppedPortsArePrunedAtTheNextCommit() throws InterruptedException {
        List<DmaPort> kept = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            DmaPort p = mediator.port(i % 2 == 0 ? Initiator.vcpu() : Initiator.softwareDevice("d" + i));
            if (i % 1000 == 0) {
                kept.add(p);
            }
        }
        assertTrue(mediator.registeredPorts() >= kept.size());
        int registered = awaitPruned(() -> ram.setEnabled(!ram.isEnabled()), kept.size());
        assertEquals(kept.size(), registered, "ports registered after the dropped ones were collected and a commit");
        for (DmaPort p : kept) { // the kept ones still get every commit
            ram.setEnabled(true);
            assertEquals(repeat(0x11), p.read(RAM, 8), p.toString());
            ram.setEnabled(false);
            assertEquals(0, p.read(RAM, 8), p.toString());
            assertEquals(MemTxResult.DECODE_ERROR, p.result(), p.toString());
        }
    }

    @Test
    void droppedPortsArePrunedAsNewOnesAreMadeWithoutAnyCommit() throws InterruptedException {
        DmaPort kept = mediator.port(Initiator.vcpu());
        int made = 0;
        int registered = Integer.MAX_VALUE;
        int bound = 2 * (1000 + 1) + 16; // a prune leaves at most the batch not yet collected and the kept port
        long deadline = System.nanoTime() + 20_000_000_000L;
        // batches of dropped ports, a collection in between: without pruning the registry would hold them all
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < 1000; i++) {
                mediator.port(Initiator.softwareDevice("d"));
                made++;
            }
            System.gc();
            registered = mediator.registeredPorts();
            if (made >= 50_000 && registered <= bound) {
                break;
            }
        }
        assertTrue(made >= 50_000 && registered <= bound, "registry of " + registered + " after " + made
                + " ports made and dropped in batches of 1000: expected at most " + bound);
        ram.setEnabled(false);
        assertEquals(0, kept.read(RAM, 8));
    }

    /** Runs {@code commit} after a collection until at most {@code live} ports are registered, or 20 s pass. */
    private int awaitPruned(Runnable commit, int live) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        int registered;
        do {
            System.gc();
            commit.run();
            registered = mediator.registeredPorts();
            if (registered <= live) {
                return registered;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        fail("registry still holds " + registered + " ports 20 s after all but " + live + " were dropped");
        return registered;
    }

    @Test
    void aPortOfABackingOtherThanByteBufUsesItThroughTheInterface() {
        List<long[]> calls = new ArrayList<>();
        SparseRam inner = sparse(0x33);
        RamBacking counting = new RamBacking() {
            @Override
            public long size() {
                return inner.size();
            }

            @Override
            public long read(long offset, int size) {
                calls.add(new long[] {offset, size});
                return inner.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                calls.add(new long[] {offset, size});
                inner.write(offset, size, value);
            }

            @Override
            public void read(long offset, byte[] dst, int dstIndex, int length) {
                calls.add(new long[] {offset, length});
                inner.read(offset, dst, dstIndex, length);
            }

            @Override
            public void write(long offset, byte[] src, int srcIndex, int length) {
                calls.add(new long[] {offset, length});
                inner.write(offset, src, srcIndex, length);
            }

            @Override
            public void read(long offset, ByteBuf dst, int dstIndex, int length) {
                calls.add(new long[] {offset, length});
                inner.read(offset, dst, dstIndex, length);
            }

            @Override
            public void write(long offset, ByteBuf src, int srcIndex, int length) {
                calls.add(new long[] {offset, length});
                inner.write(offset, src, srcIndex, length);
            }
        };
        DmaPort port = mediator.port(Initiator.softwareDevice("virtio-net"));
        assertEquals(repeat(0x11), port.read(RAM + 8, 8)); // the buffer's path first
        ram.setRamBacking(counting);
        assertEquals(repeat(0x33), port.read(RAM + 8, 8));
        assertEquals(repeat(0x33), port.read(RAM + 16, 8));
        assertEquals(MemTxResult.OK, port.write(RAM + 24, 2, 0x1234));
        assertEquals(3, calls.size(), "every access went to the backing");
        assertEquals(0x1234, inner.read(24, 2));
    }
}
