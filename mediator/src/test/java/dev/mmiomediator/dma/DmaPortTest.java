package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RamBacking;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The DMA API, one behaviour per test, on a small machine:
 * <pre>
 * 0x00000000-0x0000ffff  ram  pc.ram
 * 0x00020000-0x00020fff  rom  bios
 * 0x00030000-0x00030fff  rom  ram-ro (read-only alias of pc.ram @0x8000)
 * 0x00040000-0x000400ff  i/o  dev (the test's own ops, placed by {@link #device})
 * 0xfe000000-0xfe003fff  i/o  0000:01:00.0 BAR 0: mmaps[0] (ramd 0x2000), msix-table (i/o 0x1000 at 0x2000),
 *                             mmaps[1] (ramd 0x1000 at 0x3000)
 * 0xfe100000-0xfe100fff  ram  0000:01:00.0 BAR 2 (a RAM BAR, like ivshmem's)
 * </pre>
 */
class DmaPortTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long BAR0 = 0xfe000000L;
    private static final long BAR2 = 0xfe100000L;

    private MemorySystem sys;
    private MemoryRegion system;
    private MemoryRegion ram;
    private MemoryRegion bios;
    private MemoryRegion bar0;
    private MemoryRegion mmaps0;
    private MemoryRegion bar2;
    private AddressSpace memory;
    private final List<P2pAccess> p2p = new ArrayList<>();
    private final Recorder msix = new Recorder(4, 4);

    /** Device ops that record their calls as {@code r@OFFSET/SIZE} or {@code w@OFFSET/SIZE=VALUE}. */
    static final class Recorder implements MemoryRegionOps {
        final List<String> calls = new ArrayList<>();
        final int min;
        final int max;

        Recorder(int min, int max) {
            this.min = min;
            this.max = max;
        }

        @Override
        public long read(long offset, int size) {
            calls.add("r@" + Long.toHexString(offset) + "/" + size);
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= ((offset + i) & 0xffL) << (8 * i); // byte at offset o reads as o's low byte
            }
            return v;
        }

        @Override
        public void write(long offset, long value, int size) {
            calls.add("w@" + Long.toHexString(offset) + "/" + size + "=" + Long.toHexString(value));
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

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        ram = sys.ram("pc.ram", Size.of(0x10000));
        bios = sys.rom("bios", Size.of(0x1000));
        MemoryRegion ro = sys.alias("ram-ro", ram, 0x8000, Size.of(0x1000));
        ro.setReadOnly(true);
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        mmaps0 = sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x2000));
        bar0.addSubregion(mmaps0, 0);
        bar0.addSubregion(sys.mmio("msix-table", Size.of(0x1000), msix), 0x2000);
        bar0.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[1]", Size.of(0x1000)), 0x3000);
        bar2 = sys.ram(NIC + " BAR 2", Size.of(0x1000));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(ram, 0);
            system.addSubregion(bios, 0x20000);
            system.addSubregion(ro, 0x30000);
            system.addSubregion(bar0, BAR0);
            system.addSubregion(bar2, BAR2);
            bar0.setPassthroughBar(new PassthroughBar(NIC, 0));
            bar2.setPassthroughBar(new PassthroughBar(NIC, 2));
        }
        memory = sys.addressSpace("memory", system);
        for (int i = 0; i < 0x1000; i++) {
            bios.ramBacking().write(i, 1, 0xb0 + i);
        }
    }

    private Mediator mediator() {
        return new Mediator(memory, recordingHandler(), false);
    }

    private P2pHandler recordingHandler() {
        return a -> {
            if (!a.write()) {
                for (int i = 0; i < a.length(); i++) {
                    a.data()[i] = (byte) (0xc0 + i);
                }
            }
            p2p.add(a.copy()); // the port reuses its access: what outlives the call is a copy
            return MemTxResult.P2P_FORWARDED;
        };
    }

    private DmaPort vcpu(Mediator m) {
        return m.port(Initiator.vcpu());
    }

    private DmaPort nic(Mediator m) {
        return m.port(Initiator.softwareDevice("virtio-net"));
    }

    private Recorder device(int min, int max) {
        Recorder r = new Recorder(min, max);
        system.addSubregion(sys.mmio("dev", Size.of(0x100), r), 0x40000);
        return r;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    // ---- RAM

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void readsRamLittleEndian(int size) {
        ram.ramBacking().write(0x100, bytes(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88), 0, 8);
        DmaPort port = nic(mediator());
        long expected = 0x8877665544332211L & (size == 8 ? -1L : (1L << (8 * size)) - 1);
        assertEquals(expected, port.read(0x100, size));
        assertEquals(MemTxResult.OK, port.result());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 8})
    void writesRamLittleEndian(int size) {
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.OK, port.write(0x200, size, 0x8877665544332211L));
        byte[] got = new byte[9];
        ram.ramBacking().read(0x200, got, 0, 9);
        byte[] expected = new byte[9];
        System.arraycopy(bytes(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88), 0, expected, 0, size);
        assertArrayEquals(expected, got);
    }

    @Test
    void writesToRomAreIgnoredButSucceed() {
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.OK, port.write(0x20010, 4, 0xdeadbeefL));
        assertEquals(MemTxResult.OK, port.write(0x20020, bytes(1, 2, 3), 0, 3));
        assertEquals(0xb3b2b1b0L + 0x10101010L, port.read(0x20010, 4));
        assertEquals(0xd2d1d0, port.read(0x20020, 4) & 0xffffff);
    }

    @Test
    void writesThroughAReadOnlyAliasOfRamAreIgnoredButSucceed() {
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.OK, port.write(0x30004, 8, -1L));
        assertEquals(MemTxResult.OK, port.write(0x30000, new byte[] {9, 9}, 0, 2));
        assertEquals(0, ram.ramBacking().read(0x8000, 8));
        assertEquals(0, ram.ramBacking().read(0x8008, 8));
        assertEquals(MemTxResult.OK, port.write(0x8004, 4, 0x12345678));  // the same bytes, writable directly
        assertEquals(0x12345678, port.read(0x30004, 4));
    }

    // ---- MMIO splitting

    @Test
    void eightByteAccessToAFourByteDeviceBecomesTwoFourByteCalls() {
        Recorder dev = device(1, 4);
        DmaPort port = vcpu(mediator());
        assertEquals(MemTxResult.OK, port.write(0x40008, 8, 0x8877665544332211L));
        assertEquals(0x0f0e0d0c0b0a0908L, port.read(0x40008, 8));
        assertEquals(List.of("w@8/4=44332211", "w@c/4=88776655", "r@8/4", "r@c/4"), dev.calls);
    }

    @Test
    void unalignedAccessToAOneToTwoByteDeviceUsesAlignedPieces() {
        Recorder dev = device(1, 2);
        DmaPort port = vcpu(mediator());
        assertEquals(0x04030201L, port.read(0x40001, 4));
        assertEquals(List.of("r@1/1", "r@2/2", "r@4/1"), dev.calls);
    }

    @Test
    void oneByteWriteToAFourByteOnlyDeviceIsWidenedWithZeroBytes() {
        Recorder dev = device(4, 4);
        DmaPort port = vcpu(mediator());
        assertEquals(MemTxResult.OK, port.write(0x40010, 1, 0xabcd));
        assertEquals(0x10, port.read(0x40010, 1));
        assertEquals(List.of("w@10/4=cd", "r@10/4"), dev.calls);
    }

    @Test
    void bulkMmioAccessUsesTheLargestAlignedSizes() {
        Recorder dev = device(1, 8);
        DmaPort port = vcpu(mediator());
        byte[] dst = new byte[13];
        assertEquals(MemTxResult.OK, port.read(0x40003, dst, 0, 13));
        assertEquals(List.of("r@3/1", "r@4/4", "r@8/8"), dev.calls);
        for (int i = 0; i < 13; i++) {
            assertEquals(3 + i, dst[i]);
        }
    }

    @Test
    void aDeviceThatThrowsGivesErrorAndAllOnesForTheRestOfThePiece() {
        system.addSubregion(sys.mmio("broken", Size.of(0x100), new MemoryRegionOps() {
            @Override
            public long read(long offset, int size) {
                if (offset >= 4) {
                    throw new IllegalStateException("device model bug");
                }
                return 0x04030201L;
            }

            @Override
            public void write(long offset, long value, int size) {
            }

            @Override
            public int maxAccessSize() {
                return 4;
            }
        }), 0x50000);
        DmaPort port = vcpu(mediator());
        byte[] dst = new byte[8];
        assertEquals(MemTxResult.ERROR, port.read(0x50000, dst, 0, 8));
        assertArrayEquals(bytes(1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff), dst);
        assertEquals(MemTxResult.ERROR | MemTxResult.DECODE_ERROR, port.read(0x500fc, dst, 0, 8),
                "the failing device's piece and the unassigned piece after it");
        assertArrayEquals(bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), dst);
    }

    @Test
    void romDeviceReadsFromMemoryAndSendsWritesToItsOps() {
        Recorder ops = new Recorder(1, 8);
        MemoryRegion flash = sys.romDevice("flash", Size.of(0x1000), ops);
        flash.ramBacking().write(0, 4, 0xcafef00dL);
        system.addSubregion(flash, 0x60000);
        DmaPort port = nic(mediator());
        assertEquals(0xcafef00dL, port.read(0x60000, 4));
        assertEquals(MemTxResult.OK, port.write(0x60000, 4, 0x11));
        assertEquals(List.of("w@0/4=11"), ops.calls);
        assertEquals(0xcafef00dL, port.read(0x60000, 4));
    }

    // ---- straddles, unassigned, 2^64

    @Test
    void aStraddleOfRamMmioAndUnassignedOrsTheResultsAndPlacesEveryByte() {
        device(1, 8);
        ram.ramBacking().write(0xfffc, 4, 0xa4a3a2a1L);
        system.addSubregion(sys.ram("after", Size.of(0xfff0)), 0x10000); // RAM up to 0x1fff0, then a hole
        DmaPort port = nic(mediator());
        byte[] dst = new byte[0x40000 + 0x100 + 8 - 0xfffc];
        Arrays.fill(dst, (byte) 0x77);
        int r = port.read(0xfffc, dst, 0, dst.length);
        assertEquals(MemTxResult.DECODE_ERROR, r);
        assertArrayEquals(bytes(0xa1, 0xa2, 0xa3, 0xa4), Arrays.copyOfRange(dst, 0, 4));
        int bios0 = 0x20000 - 0xfffc;
        assertEquals((byte) 0, dst[bios0 - 1], "unassigned 0x1fff0-0x1ffff reads 0");
        assertEquals((byte) 0xb0, dst[bios0]);
        int dev0 = 0x40000 - 0xfffc;
        for (int i = 0; i < 0x100; i++) {
            assertEquals((byte) i, dst[dev0 + i], "MMIO byte " + i);
        }
        for (int i = dev0 + 0x100; i < dst.length; i++) {
            assertEquals(0, dst[i], "unassigned byte after the device");
        }
    }

    @Test
    void aStraddleOfRamAndABarCarriesTheP2pOutcome() {
        system.addSubregion(sys.ram("below-bar", Size.of(0x10)), BAR0 - 0x10);
        DmaPort port = nic(mediator());
        byte[] dst = new byte[0x14];
        assertEquals(MemTxResult.P2P_FORWARDED, port.read(BAR0 - 0x10, dst, 0, 0x14));
        assertArrayEquals(bytes(0xc0, 0xc1, 0xc2, 0xc3), Arrays.copyOfRange(dst, 0x10, 0x14));
        assertEquals(1, p2p.size());
    }

    @Test
    void unassignedReadReturnsZeroWithDecodeError() {
        DmaPort port = nic(mediator());
        assertEquals(0, port.read(0x70000, 8));
        assertEquals(MemTxResult.DECODE_ERROR, port.result());
    }

    @Test
    void unassignedWriteIsDroppedWithDecodeError() {
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.DECODE_ERROR, port.write(0x70000, bytes(1, 2, 3), 0, 3));
        assertEquals(MemTxResult.DECODE_ERROR, port.write(0x70000, 4, 1));
    }

    @Test
    void anAccessEndingExactlyAtTheTopOfTheAddressSpaceWorks() {
        MemoryRegion top = sys.ram("top", Size.of(0x1000));
        system.addSubregion(top, -0x1000L);
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.OK, port.write(-8L, 8, 0x0102030405060708L));
        assertEquals(0x0102030405060708L, port.read(-8L, 8));
        assertEquals(MemTxResult.OK, port.result());
        byte[] dst = new byte[16];
        assertEquals(MemTxResult.OK, port.read(-16L, dst, 0, 16));
        assertEquals(1, dst[15]);
    }

    @Test
    void anAccessOneBytePastTheTopIsAnAccessErrorAndTransfersNothing() {
        MemoryRegion top = sys.ram("top", Size.of(0x1000));
        system.addSubregion(top, -0x1000L);
        top.ramBacking().write(0xff8, 8, 0x1111111111111111L);
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(-7L, 8, -1L));
        assertEquals(0, port.read(-7L, 8));
        assertEquals(MemTxResult.ACCESS_ERROR, port.result());
        byte[] dst = new byte[16];
        Arrays.fill(dst, (byte) 0x5a);
        assertEquals(MemTxResult.ACCESS_ERROR, port.read(-15L, dst, 0, 16));
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(-15L, new byte[16], 0, 16));
        byte[] untouched = new byte[16];
        Arrays.fill(untouched, (byte) 0x5a);
        assertArrayEquals(untouched, dst);
        assertEquals(0x1111111111111111L, top.ramBacking().read(0xff8, 8));
    }

    @Test
    void aByteBufAccessPastTheTopMovesNoIndex() {
        DmaPort port = nic(mediator());
        ByteBuf buf = Unpooled.buffer(32);
        buf.writeZero(16);
        assertEquals(MemTxResult.ACCESS_ERROR, port.read(-4L, buf, 8));
        assertEquals(16, buf.writerIndex());
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(-4L, buf, 8));
        assertEquals(0, buf.readerIndex());
    }

    // ---- bad arguments

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 5, 16, -1})
    void anInvalidValueSizeThrowsNamingIt(int size) {
        DmaPort port = nic(mediator());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> port.read(0, size));
        assertTrue(e.getMessage().contains("access size " + size), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> port.write(0, size, 0));
        assertTrue(e.getMessage().contains("access size " + size), e.getMessage());
    }

    @Test
    void nullBuffersThrow() {
        DmaPort port = nic(mediator());
        assertThrows(NullPointerException.class, () -> port.read(0, (byte[]) null, 0, 1));
        assertThrows(NullPointerException.class, () -> port.write(0, (byte[]) null, 0, 1));
        assertThrows(NullPointerException.class, () -> port.read(0, (ByteBuf) null, 1));
        assertThrows(NullPointerException.class, () -> port.write(0, (ByteBuf) null, 1));
    }

    @Test
    void offsetsAndLengthsOutsideTheArrayThrowAndTransferNothing() {
        DmaPort port = nic(mediator());
        byte[] arr = new byte[8];
        assertThrows(IndexOutOfBoundsException.class, () -> port.read(0, arr, -1, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> port.read(0, arr, 6, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> port.write(0, arr, 0, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> port.write(0, arr, 2, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> port.read(0, arr, 9, 0));
        assertEquals(0, ram.ramBacking().read(0, 8));
    }

    @Test
    void byteBufLengthsThatDoNotFitThrow() {
        DmaPort port = nic(mediator());
        ByteBuf buf = Unpooled.buffer(8, 8);
        buf.writeZero(4);
        assertThrows(IllegalArgumentException.class, () -> port.read(0, buf, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> port.read(0, buf, 5));   // cannot grow past 8
        assertThrows(IndexOutOfBoundsException.class, () -> port.write(0, buf, 5));  // only 4 readable
        assertThrows(IndexOutOfBoundsException.class, () -> port.write(0, buf, -1));
        assertEquals(0, buf.readerIndex());
        assertEquals(4, buf.writerIndex());
    }

    @Test
    void zeroLengthBulkAccessesAreOkAndTouchNothing() {
        Recorder dev = device(1, 8);
        DmaPort port = nic(mediator());
        byte[] arr = bytes(1, 2, 3);
        ByteBuf buf = Unpooled.buffer(8).writeBytes(bytes(7, 7));
        for (long a : new long[] {0x40000, BAR0, 0x70000, -1L, 0}) {
            assertEquals(MemTxResult.OK, port.read(a, arr, 1, 0));
            assertEquals(MemTxResult.OK, port.write(a, arr, 3, 0));
            assertEquals(MemTxResult.OK, port.read(a, buf, 0));
            assertEquals(MemTxResult.OK, port.write(a, buf, 0));
        }
        assertArrayEquals(bytes(1, 2, 3), arr);
        assertEquals(0, buf.readerIndex());
        assertEquals(2, buf.writerIndex());
        assertEquals(List.of(), dev.calls);
        assertEquals(List.of(), p2p);
    }

    // ---- ByteBuf indices

    @Test
    void aByteBufReadAppendsAtTheWriterIndexAndAdvancesIt() {
        ram.ramBacking().write(0x10, bytes(1, 2, 3, 4, 5), 0, 5);
        DmaPort port = nic(mediator());
        ByteBuf buf = Unpooled.buffer(2).writeBytes(bytes(9, 9));
        buf.readerIndex(1);
        assertEquals(MemTxResult.OK, port.read(0x10, buf, 5));
        assertEquals(7, buf.writerIndex());
        assertEquals(1, buf.readerIndex());
        byte[] all = new byte[7];
        buf.getBytes(0, all);
        assertArrayEquals(bytes(9, 9, 1, 2, 3, 4, 5), all);
    }

    @Test
    void aByteBufWriteTakesFromTheReaderIndexAndAdvancesIt() {
        DmaPort port = nic(mediator());
        ByteBuf buf = Unpooled.directBuffer(8).writeBytes(bytes(9, 1, 2, 3, 4, 8));
        buf.readerIndex(1);
        try {
            assertEquals(MemTxResult.OK, port.write(0x20, buf, 4));
            assertEquals(5, buf.readerIndex());
            assertEquals(6, buf.writerIndex());
            assertEquals(0x04030201L, ram.ramBacking().read(0x20, 4));
            assertEquals(0, ram.ramBacking().read(0x24, 1));
        } finally {
            buf.release();
        }
    }

    // ---- passthrough BARs and P2P

    @Test
    void theVcpuReachesABarsMemoryDirectly() {
        DmaPort port = vcpu(mediator());
        assertEquals(MemTxResult.OK, port.write(BAR0 + 0x10, 4, 0x12345678));
        assertEquals(0x12345678, port.read(BAR0 + 0x10, 4));
        assertEquals(0x12345678, mmaps0.ramBacking().read(0x10, 4));
        assertEquals(List.of(), p2p);
    }

    @Test
    void aSoftwareDeviceWritingToABarHitsTheP2pHandlerWithEverything() {
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(BAR0 + 0x10, 4, 0x12345678));
        assertEquals(1, p2p.size());
        P2pAccess a = p2p.get(0);
        assertEquals(Initiator.softwareDevice("virtio-net"), a.initiator());
        assertEquals(new PassthroughBar(NIC, 0), a.bar());
        assertEquals(0x10, a.barOffset());
        assertEquals(4, a.length());
        assertTrue(a.write() && a.posted());
        assertArrayEquals(bytes(0x78, 0x56, 0x34, 0x12), a.data());
        assertEquals(0, mmaps0.ramBacking().read(0x10, 4), "the BAR's memory is untouched");
    }

    @Test
    void aSoftwareDeviceReadingABarGetsTheHandlersBytes() {
        DmaPort port = nic(mediator());
        assertEquals(0xc3c2c1c0L, port.read(BAR0 + 0x100, 4));
        assertEquals(MemTxResult.P2P_FORWARDED, port.result());
        P2pAccess a = p2p.get(0);
        assertEquals(0x100, a.barOffset());
        assertTrue(!a.write() && !a.posted());
    }

    @Test
    void anMsixTableInsideTheBarIsP2pAtItsOffsetInTheBar() {
        DmaPort port = nic(mediator());
        byte[] src = bytes(1, 2, 3, 4, 5, 6);
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(BAR0 + 0x2004, src, 0, 6));
        assertEquals(List.of(), msix.calls, "the MSI-X ops are not called");
        assertEquals(1, p2p.size());
        assertEquals(0x2004, p2p.get(0).barOffset());
        assertEquals(6, p2p.get(0).length());
        assertArrayEquals(src, p2p.get(0).data());
    }

    @Test
    void anAccessAcrossTheBarsPiecesIsOneP2pAccess() {
        DmaPort port = nic(mediator());
        byte[] dst = new byte[0x20];
        assertEquals(MemTxResult.P2P_FORWARDED, port.read(BAR0 + 0x1ff0, dst, 0, 0x20)); // mmaps[0] | msix-table
        assertEquals(1, p2p.size());
        assertEquals(0x1ff0, p2p.get(0).barOffset());
        assertEquals(0x20, p2p.get(0).length());
    }

    @Test
    void aRamdAtANonZeroOffsetInTheBarReportsItsOffsetInTheBar() {
        DmaPort port = nic(mediator());
        port.read(BAR0 + 0x3008, 8);
        assertEquals(0x3008, p2p.get(0).barOffset());
    }

    @Test
    void aBarSeenThroughAnAliasAtAnotherAddressReportsItsOffsetInTheBar() {
        // like QEMU's pci-hole alias: the PCI window shown in system memory at another address
        MemoryRegion pci = sys.container("pci", Size.FULL);
        MemoryRegion hole = sys.alias("pci-hole", pci, 0xc0000000L, Size.of(0x20000000L));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.removeSubregion(bar0);
            pci.addSubregion(bar0, 0xd0000000L);
            system.addSubregion(hole, 0x80000000L);
        }
        DmaPort port = nic(mediator());
        port.write(0x90000000L + 0x2010, 2, 0xbeef);
        assertEquals(new PassthroughBar(NIC, 0), p2p.get(0).bar());
        assertEquals(0x2010, p2p.get(0).barOffset());
    }

    @Test
    void aRamBarIsP2pForDevicesButMemoryForTheVcpu() {
        Mediator m = mediator();
        assertEquals(MemTxResult.OK, vcpu(m).write(BAR2 + 8, 8, 42));
        assertEquals(42, bar2.ramBacking().read(8, 8));
        assertEquals(MemTxResult.P2P_FORWARDED, nic(m).write(BAR2 + 8, 8, 7));
        assertEquals(42, bar2.ramBacking().read(8, 8));
        assertEquals(new PassthroughBar(NIC, 2), p2p.get(0).bar());
    }

    @Test
    void aPassthroughDevicesOwnDmaToABarAlsoGoesToTheHandler() {
        DmaPort port = mediator().port(Initiator.passthroughDevice(NIC));
        port.read(BAR0, 4);
        assertEquals(Initiator.passthroughDevice(NIC), p2p.get(0).initiator());
        assertEquals(MemTxResult.P2P_FORWARDED, port.result());
    }

    @Test
    void masterAbortReadsAllOnesAndReportsP2pFailed() {
        Mediator m = new Mediator(memory);
        DmaPort port = nic(m);
        assertEquals(0xffffffffL, port.read(BAR0 + 4, 4));
        assertEquals(MemTxResult.P2P_FAILED, port.result());
        byte[] dst = new byte[3];
        assertEquals(MemTxResult.P2P_FAILED, port.read(BAR2, dst, 0, 3));
        assertArrayEquals(bytes(0xff, 0xff, 0xff), dst);
    }

    @Test
    void masterAbortDropsWrites() {
        Mediator m = new Mediator(memory);
        assertEquals(MemTxResult.P2P_FAILED, nic(m).write(BAR0 + 4, 4, 0x1234));
        assertEquals(0, mmaps0.ramBacking().read(4, 4));
        assertEquals(0, vcpu(m).read(BAR0 + 4, 4));
    }

    @Test
    void masterAbortLogsOncePerInitiatorAndBar() {
        MasterAbortP2pHandler abort = new MasterAbortP2pHandler();
        Mediator m = new Mediator(memory, abort, false);
        DmaPort nic = nic(m);
        nic.read(BAR0, 4);
        nic.write(BAR0 + 0x3000, 8, 1);
        nic.read(BAR0 + 0x2000, 4);
        assertEquals(1, abort.loggedPairs());
        nic.read(BAR2, 4);
        assertEquals(2, abort.loggedPairs());
        m.port(Initiator.softwareDevice("nvme")).read(BAR0, 4);
        assertEquals(3, abort.loggedPairs());
        nic(m).read(BAR2 + 8, 1); // another port of the same initiator
        assertEquals(3, abort.loggedPairs());
    }

    @Test
    void ramOnlyModeFaultsMmioForDevices() {
        Recorder dev = device(1, 8);
        Mediator m = new Mediator(memory, recordingHandler(), true);
        DmaPort port = nic(m);
        assertEquals(-1L, port.read(0x40000, 8));
        assertEquals(MemTxResult.ACCESS_ERROR, port.result());
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(0x40000, 4, 1));
        assertEquals(List.of(), dev.calls);
        assertEquals(0, port.read(0x100, 8), "RAM is still reachable");
        assertEquals(MemTxResult.OK, port.result());
    }

    @Test
    void ramOnlyModeLeavesMmioToTheVcpu() {
        Recorder dev = device(1, 8);
        Mediator m = new Mediator(memory, recordingHandler(), true);
        DmaPort port = vcpu(m);
        assertEquals(0x0706050403020100L, port.read(0x40000, 8));
        assertEquals(MemTxResult.OK, port.result());
        assertEquals(List.of("r@0/8"), dev.calls);
    }

    @Test
    void ramOnlyModeStillSendsBarAccessesToTheHandler() {
        Mediator m = new Mediator(memory, recordingHandler(), true);
        assertEquals(MemTxResult.P2P_FORWARDED, nic(m).write(BAR0 + 0x2000, 4, 1));
        assertEquals(1, p2p.size());
    }

    // ---- topology changes

    @Test
    void aTopologyChangePublishesNewViews() {
        Mediator m = mediator();
        MediatedView before = m.view(Initiator.softwareDevice("x"));
        system.addSubregion(sys.ram("more", Size.of(0x1000)), 0x70000);
        MediatedView after = m.view(Initiator.softwareDevice("x"));
        assertNotSame(before, after);
        assertEquals(before.size() + 1, after.size());
        assertNotSame(m.view(Initiator.vcpu()), after);
    }

    @Test
    void thePortsLastHitNeverServesASectionOfAnOldView() {
        MemoryRegion other = sys.ram("other", Size.of(0x10000));
        other.ramBacking().write(0x100, 8, 0x2222222222222222L);
        ram.ramBacking().write(0x100, 8, 0x1111111111111111L);
        Mediator m = mediator();
        DmaPort port = nic(m);
        assertEquals(0x1111111111111111L, port.read(0x100, 8));
        assertEquals(0x11111111L, port.read(0x104, 4)); // a last-hit
        system.addSubregion(other, 0, 1);               // covers pc.ram
        assertEquals(0x2222222222222222L, port.read(0x100, 8));
        other.setEnabled(false);
        assertEquals(0x1111111111111111L, port.read(0x100, 8));
        ram.setEnabled(false);
        assertEquals(0, port.read(0x100, 8));
        assertEquals(MemTxResult.DECODE_ERROR, port.result());
    }

    @Test
    void taggingARegionAsABarTakesEffectForPortsAtOnce() {
        Mediator m = mediator();
        DmaPort port = nic(m);
        assertEquals(MemTxResult.OK, port.write(0x100, 4, 5));
        Passthrough.declare(PciAddress.parse("0000:02:00.0"), Map.of(1, ram));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(0x100, 4, 6));
        assertEquals(5, ram.ramBacking().read(0x100, 4));
    }

    // ---- memory behind RAM

    @Test
    void aBackingSetAfterTheViewsWereBuiltIsUsedAtOnce() {
        Mediator m = mediator();
        DmaPort port = nic(m);
        port.write(0x10, 4, 1); // the region's sparse memory
        ByteBuf mine = Unpooled.buffer(0x10000, 0x10000).writeZero(0x10000);
        ram.setRamBacking(new ByteBufRam(mine));
        assertEquals(MemTxResult.OK, port.write(0x10, 4, 0x12345678));
        assertEquals(0x12345678, mine.getIntLE(0x10));
        assertEquals(0x12345678, port.read(0x10, 4));
    }

    @Test
    void ramTooLargeForSparseMemoryFaultsUntilItIsGivenABacking() {
        MemoryRegion huge = sys.ram("huge", Size.of(1L << 63)); // past SparseRam's 2^62
        MemoryRegion window = sys.alias("window", huge, 0x1000, Size.of(0x1000));
        system.addSubregion(window, 0x70000);
        Mediator m = mediator();
        DmaPort port = nic(m);
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(0x70010, 8, 1));
        system.addSubregion(sys.ram("elsewhere", Size.of(0x1000)), 0x80000); // a commit that leaves the window as it was
        assertEquals(MemTxResult.ACCESS_ERROR, port.write(0x70010, 8, 1));
        long[] stored = new long[1];
        huge.setRamBacking(new RamBacking() { // e.g. a device model's own huge, mostly unbacked window
            @Override public long size() { return 1L << 63; }
            @Override public long read(long offset, int size) { return offset == 0x1010 ? stored[0] : 0; }
            @Override public void write(long offset, int size, long value) { if (offset == 0x1010) stored[0] = value; }
            @Override public void read(long offset, byte[] dst, int dstIndex, int length) { }
            @Override public void write(long offset, byte[] src, int srcIndex, int length) { }
            @Override public void read(long offset, ByteBuf dst, int dstIndex, int length) { }
            @Override public void write(long offset, ByteBuf src, int srcIndex, int length) { }
        });
        // the range renders as before, but the region can have memory now: its section is RAM, not a reused FAULT
        assertEquals(MemTxResult.OK, port.write(0x70010, 8, 0x5a5a));
        assertEquals(0x5a5a, port.read(0x70010, 8));
        assertEquals(0x5a5a, stored[0]);
    }

    @Test
    void ramTooLargeForAnyBackingFaultsInsteadOfBreakingTheCommit() {
        MemoryRegion huge = sys.ram("huge", Size.FULL);
        MemoryRegion window = sys.alias("window", huge, -0x1000L, Size.of(0x1000));
        Mediator m = mediator();
        system.addSubregion(window, 0x70000); // renders: must not throw
        for (DmaPort port : new DmaPort[] {vcpu(m), nic(m)}) {
            assertEquals(-1L, port.read(0x70000, 8));
            assertEquals(MemTxResult.ACCESS_ERROR, port.result());
            assertEquals(MemTxResult.ACCESS_ERROR, port.write(0x70000, 8, 0));
        }
        DmaPort port = nic(m);
        assertEquals(0, port.read(0x10, 2), "the rest of memory works");
        assertEquals(MemTxResult.OK, port.result());
    }

    @Test
    void aPortReportsItsInitiator() {
        assertEquals(Initiator.softwareDevice("virtio-net"), nic(mediator()).initiator());
    }

    @Test
    void movingADisabledRegionInsideABarUpdatesTheBarOffsetsOfLeavesReachedThroughAnAlias() {
        // a leaf inside a disabled container inside a BAR, reached through an alias: moving the disabled
        // container changes nothing rendered, but it changes where the leaf sits in the BAR
        MemoryRegion bar = sys.container("0000:02:00.0 BAR 1", Size.of(0x1000));
        MemoryRegion hidden = sys.container("hidden", Size.of(0x100));
        MemoryRegion leaf = sys.ramDevice("leaf", Size.of(0x10));
        hidden.addSubregion(leaf, 0x8);
        bar.addSubregion(hidden, 0x100);
        hidden.setEnabled(false);
        bar.setPassthroughBar(new dev.mmiomediator.memory.PassthroughBar(PciAddress.parse("0000:02:00.0"), 1));
        system.addSubregion(sys.alias("window", leaf, 0, Size.of(0x10)), 0x50000);
        Mediator m = mediator();
        DmaPort port = nic(m);
        port.read(0x50000, 1);
        assertEquals(0x108L, p2p.get(p2p.size() - 1).barOffset());
        hidden.setAddress(0x200);
        port.read(0x50000, 1);
        assertEquals(0x208L, p2p.get(p2p.size() - 1).barOffset());
    }

    // ---- found unasserted by mutation testing

    @Test
    void aByteBufReadOfUnassignedSpaceZeroesExactlyTheBytesRead() {
        DmaPort port = nic(mediator());
        ByteBuf dst = Unpooled.buffer(8, 8);
        dst.setBytes(0, bytes(0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa));
        dst.writerIndex(2);
        assertEquals(MemTxResult.DECODE_ERROR, port.read(0x70000, dst, 4));
        assertEquals(6, dst.writerIndex());
        byte[] all = new byte[8];
        dst.getBytes(0, all);
        assertArrayEquals(bytes(0xaa, 0xaa, 0, 0, 0, 0, 0xaa, 0xaa), all, "the bytes after the read are untouched");
    }

    @Test
    void aByteBufReadOfRamOnlyFaultSpaceFillsExactlyTheBytesReadWithOnes() {
        device(1, 8);
        DmaPort port = new Mediator(memory, recordingHandler(), true).port(Initiator.softwareDevice("virtio-net"));
        ByteBuf dst = Unpooled.buffer(4, 4); // no room for a byte more
        assertEquals(MemTxResult.ACCESS_ERROR, port.read(0x40000, dst, 4));
        assertEquals(0xffffffff, dst.getInt(0));
    }

    @Test
    void aWriteToARomDeviceWhoseOpsThrowIsADeviceError() {
        MemoryRegion flash = sys.romDevice("flash", Size.of(0x1000), new MemoryRegionOps() {
            @Override
            public long read(long offset, int size) {
                throw new AssertionError("a ROM device in ROMD mode is read from memory");
            }

            @Override
            public void write(long offset, long value, int size) {
                throw new IllegalStateException("flash is locked");
            }

            @Override
            public int minAccessSize() {
                return 1;
            }

            @Override
            public int maxAccessSize() {
                return 8;
            }
        });
        system.addSubregion(flash, 0x60000);
        DmaPort port = nic(mediator());
        assertEquals(MemTxResult.ERROR, port.write(0x60000, 4, 0x11));
        assertEquals(MemTxResult.OK, port.write(0x10, 4, 0x11), "RAM is unaffected");
    }

    @Test
    void aPortPrintsItsInitiatorAndAddressSpace() {
        assertEquals("DmaPort(virtio-net on memory)", nic(mediator()).toString());
        assertEquals("DmaPort(vcpu on memory)", vcpu(mediator()).toString());
    }

    @Test
    void aMediatorSaysWhetherItIsRamOnly() {
        assertTrue(new Mediator(memory, recordingHandler(), true).ramOnly());
        assertTrue(!new Mediator(memory).ramOnly());
    }

    @Test
    void aValueReadOverTheEndOfRamJustBelowTwoToTheSixtyFourthReadsTheLastByteAsUnassigned() {
        // RAM of 2^64 - 1 bytes from 0: every address but the very last one; a device model's own huge backing
        MemorySystem big = new MemorySystem();
        MemoryRegion root = big.container("system", Size.FULL);
        MemoryRegion huge = big.ram("huge", Size.of(-1L));
        huge.setRamBacking(new RamBacking() {
            @Override public long size() { return -1L; }
            @Override public long read(long offset, int size) { return 0x5a5a5a5a5a5a5a5aL & (-1L >>> (64 - 8 * size)); }
            @Override public void write(long offset, int size, long value) { }
            @Override public void read(long offset, byte[] dst, int dstIndex, int length) {
                Arrays.fill(dst, dstIndex, dstIndex + length, (byte) 0x5a);
            }
            @Override public void write(long offset, byte[] src, int srcIndex, int length) { }
            @Override public void read(long offset, ByteBuf dst, int dstIndex, int length) { }
            @Override public void write(long offset, ByteBuf src, int srcIndex, int length) { }
        });
        root.addSubregion(huge, 0);
        DmaPort port = new Mediator(big.addressSpace("memory", root)).port(Initiator.softwareDevice("virtio-net"));
        assertEquals(0x5a5a5a5a5a5a5aL, port.read(-8L, 8), "seven bytes of RAM, then an unassigned byte reading 0");
        assertEquals(MemTxResult.DECODE_ERROR, port.result());
        assertEquals(0x5a5a5a5a5a5a5a5aL, port.read(-9L, 8), "eight bytes of RAM end at its last byte");
        assertEquals(MemTxResult.OK, port.result());
    }
}
