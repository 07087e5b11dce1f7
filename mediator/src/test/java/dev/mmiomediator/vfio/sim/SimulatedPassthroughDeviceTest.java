package dev.mmiomediator.vfio.sim;

import static dev.mmiomediator.vfio.MigrationState.ERROR;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.vfio.MigrationDataSink;
import dev.mmiomediator.vfio.MigrationDataSource;
import dev.mmiomediator.vfio.MigrationDriverException;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.MigrationStreamException;
import dev.mmiomediator.vfio.MigrationTransitionException;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The simulated device: live migration between two devices, refused streams, fault injection, forbidden MMIO. */
class SimulatedPassthroughDeviceTest {
    private static final PciBar BAR0 = new PciBar(0, 0x1000);
    private static final PciBar BAR2 = new PciBar(2, 0x4000);

    private static SimulatedPassthroughDevice sim(String address, MigrationFlags flags) {
        return new SimulatedPassthroughDevice(PciAddress.parse(address), flags, BAR0, BAR2);
    }

    /** Fills both BARs through MMIO and sets the scratch registers. */
    private static void scribble(SimulatedPassthroughDevice d, long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < 200; i++) {
            d.mmioWrite("vcpu0", 0, r.nextInt(0x1000 / 8) * 8L, 8, r.nextLong());
            d.mmioWrite("virtio-net", 2, r.nextInt(0x4000 - 4), 4, r.nextInt());
        }
        d.mmioRead("vcpu1", 2, 0x10, 2);
        d.setRegister(2, 0xfeedfacecafebeefL);
        d.setRegister(3, seed);
    }

    private static ByteBuf saveState(SimulatedPassthroughDevice src) throws IOException {
        MigrationDataSource out = src.device().transition(STOP_COPY).source().orElseThrow();
        ByteBuf bytes = out.readAvailable();
        assertEquals(-1, out.read(Unpooled.buffer(16)), "STOP_COPY's stream ends after the state");
        return bytes;
    }

    private static void assertSameContents(SimulatedPassthroughDevice expected, SimulatedPassthroughDevice actual) {
        assertArrayEquals(expected.barContents(0), actual.barContents(0), "BAR 0");
        assertArrayEquals(expected.barContents(2), actual.barContents(2), "BAR 2");
        assertArrayEquals(expected.registers(), actual.registers(), "registers");
    }

    @Test
    void liveMigrationToASecondDeviceEndsWithIdenticalBarsAndRegisters() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY);
        scribble(src, 42);

        ByteBuf bytes = saveState(src);
        assertEquals(List.of(), src.violations());

        MigrationDataSink in = dst.device().transition(RESUMING).sink().orElseThrow();
        assertEquals(RESUMING, dst.device().state());
        while (bytes.isReadable()) {
            in.write(bytes.readRetainedSlice(Math.min(1000, bytes.readableBytes())));
        }
        assertEquals(List.of(RESUMING, STOP, RUNNING), dst.device().transition(RUNNING).path());
        assertSameContents(src, dst);

        // and the source can be resumed too (migration cancelled): its state survived STOP_COPY untouched
        assertEquals(List.of(STOP_COPY, STOP, RUNNING_P2P, RUNNING), src.device().transition(RUNNING).path());
        assertSameContents(dst, src);
        dst.mmioWrite("vcpu0", 0, 0, 4, 1);
        assertEquals(src.registers()[SimulatedPassthroughDevice.REG_WRITES] + 1,
                dst.registers()[SimulatedPassthroughDevice.REG_WRITES]);
    }

    @Test
    void preCopyOpensTheSessionAndStopCopyCompletesIt() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.ALL);
        scribble(src, 7);
        MigrationDataSource out = src.device().transition(PRE_COPY).source().orElseThrow();
        ByteBuf buf = Unpooled.buffer(64);
        assertEquals(0, out.read(buf), "nothing yet, but not the end either");
        src.mmioWrite("vcpu0", 0, 8, 8, 0x1234);   // PRE_COPY is still running
        assertFalse(src.device().transition(STOP_COPY).source().isPresent(), "the same session continues");
        ByteBuf bytes = out.readAvailable();
        assertEquals(-1, out.read(buf));

        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.ALL);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        assertEquals(List.of(RESUMING, STOP, RUNNING_P2P, RUNNING), dst.device().transition(RUNNING).path());
        assertSameContents(src, dst);
        assertEquals(0x1234, dst.mmioRead("vcpu0", 0, 8, 8));
    }

    @Test
    void leavingTheSavingGroupClosesTheSession() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        MigrationDataSource out = src.device().transition(STOP_COPY).source().orElseThrow();
        src.device().transition(RUNNING);
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> out.read(Unpooled.buffer(8)));
        assertEquals("0000:01:00.0: saving session closed (STOP_COPY -> STOP)", e.getMessage());
    }

    @Test
    void aStreamOfAnotherKindIsRefusedAtOnceAndTheDestinationIsUnchanged() throws IOException {
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.WITH_P2P);
        scribble(dst, 1);
        byte[] bar2 = dst.barContents(2);
        long[] regs = dst.registers();
        MigrationDataSink in = dst.device().transition(RESUMING).sink().orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class,
                () -> in.write(Unpooled.wrappedBuffer("QEVM\u0003\0\0\0garbage".getBytes())));
        assertEquals("0000:81:00.0: not a simulated device state stream: it starts with 51 45 56 4d, expected \"MMSD\"",
                e.getMessage());
        assertEquals(RESUMING, dst.device().state());
        assertArrayEquals(bar2, dst.barContents(2));
        assertArrayEquals(regs, dst.registers());
        assertThrows(MigrationStreamException.class, () -> in.write(Unpooled.wrappedBuffer(new byte[] {1})),
                "a refused session stays refused");
    }

    @Test
    void aStreamForAnotherBarLayoutIsRefused() throws IOException {
        SimulatedPassthroughDevice src = new SimulatedPassthroughDevice(PciAddress.parse("0000:01:00.0"),
                MigrationFlags.STOP_COPY_ONLY, BAR0, new PciBar(2, 0x2000));
        ByteBuf bytes = saveState(src);
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY);
        MigrationDataSink in = dst.device().transition(RESUMING).sink().orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> in.write(bytes));
        assertEquals("0000:81:00.0: the stream's BAR 2 of 0x2000 bytes does not match this device's BAR 2 (0x4000 "
                + "bytes)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void anotherStreamVersionIsRefused(int version) throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY);
        ByteBuf bytes = saveState(src);
        bytes.setShortLE(4, version);
        MigrationDataSink in = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY).device().transition(RESUMING).sink()
                .orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> in.write(bytes));
        assertEquals("0000:81:00.0: state stream version " + version + ", this device reads version 4",
                e.getMessage());
    }

    @Test
    void theStateEndsWithTheCrc32cOfEverythingBeforeIt() throws IOException {
        ByteBuf bytes = saveState(sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY));
        int body = bytes.readableBytes() - 4;
        java.util.zip.CRC32C castagnoli = new java.util.zip.CRC32C();
        castagnoli.update(bytes.nioBuffer(bytes.readerIndex(), body));
        assertEquals(castagnoli.getValue(), bytes.getUnsignedIntLE(bytes.readerIndex() + body));
    }

    @Test
    void aStateCheckedWithPlainCrc32IsRefused() throws IOException {
        ByteBuf bytes = saveState(sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY));
        int body = bytes.readableBytes() - 4;
        java.util.zip.CRC32 ieee = new java.util.zip.CRC32();
        ieee.update(bytes.nioBuffer(bytes.readerIndex(), body));
        bytes.setIntLE(bytes.readerIndex() + body, (int) ieee.getValue());
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> dst.device().transition(STOP));
        assertTrue(e.getMessage().contains("corrupted stream: checksum 0x"), e.getMessage());
    }

    @Test
    void theWriteLedgerTravelsWithTheStateAndResumingReplacesIt() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        src.mmioWrite("nvme", 0, 0x10, 8, 0x0001_0000_0000_0004L);
        src.mmioWrite("nvme", 2, 0x20, 8, 0x0001_0000_0000_0008L);
        src.mmioWrite("nvme", 0, 0x10, 8, 0x0001_0000_0000_0004L);
        src.mmioWrite("vcpu0", 2, 0x30, 2, 0xabcdL);
        long[] taken = {0x0001_0000_0000_0004L, 0x0001_0000_0000_0008L, 0x0001_0000_0000_0004L, 0xabcdL};
        assertArrayEquals(taken, src.writeLedger(), "every write taken, in order, repeats included");
        ByteBuf bytes = saveState(src);

        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.WITH_P2P);
        dst.mmioWrite("vcpu0", 0, 0, 8, 99);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        dst.device().transition(RUNNING);
        assertArrayEquals(taken, dst.writeLedger(), "the destination's own earlier write is replaced");
        dst.mmioWrite("p2p", 0, 0x18, 8, 7);
        assertEquals(7, dst.writeLedger()[4]);
        assertEquals(0, dst.unrecordedWrites());

        dst.device().reset();
        assertArrayEquals(new long[0], dst.writeLedger(), "a reset forgets the ledger");
    }

    @Test
    void aLedgerLongerThanTheCapacityIsRefused() throws IOException {
        ByteBuf bytes = saveState(sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY));
        bytes.setIntLE(12, SimulatedPassthroughDevice.LEDGER_CAPACITY + 1);
        MigrationDataSink in = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY).device().transition(RESUMING).sink()
                .orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> in.write(bytes));
        assertEquals("0000:81:00.0: the stream's write ledger holds " + (SimulatedPassthroughDevice.LEDGER_CAPACITY + 1)
                + " entries, at most " + SimulatedPassthroughDevice.LEDGER_CAPACITY + " are accepted", e.getMessage());
    }

    @Test
    void aCorruptedLedgerEntryFailsTheChecksum() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY);
        src.mmioWrite("nvme", 0, 0, 8, 0x0003_0000_0000_0010L);
        ByteBuf bytes = saveState(src);
        int entry = bytes.readableBytes() - 4 - 8;
        bytes.setByte(entry, bytes.getByte(entry) ^ 0x01);
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> dst.device().transition(STOP));
        assertTrue(e.getMessage().contains("corrupted stream: checksum 0x"), e.getMessage());
        assertArrayEquals(new long[0], dst.writeLedger());
    }

    @Test
    void aTooLongStreamIsRefused() throws IOException {
        ByteBuf bytes = saveState(sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY));
        int length = bytes.readableBytes();
        MigrationDataSink in = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY).device().transition(RESUMING).sink()
                .orElseThrow();
        in.write(bytes);
        MigrationStreamException e = assertThrows(MigrationStreamException.class,
                () -> in.write(Unpooled.wrappedBuffer(new byte[3])));
        assertEquals("0000:81:00.0: the stream continues past its end: " + (length + 3) + " bytes so far, but this "
                + "device's state is exactly " + length + " bytes", e.getMessage());
    }

    @Test
    void aTruncatedStreamFailsTheArcOutOfResumingAndTheDestinationIsUnchanged() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        scribble(src, 2);
        ByteBuf bytes = saveState(src);
        int length = bytes.readableBytes();
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.WITH_P2P);
        scribble(dst, 3);
        byte[] bar0 = dst.barContents(0);
        long[] regs = dst.registers();
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes.slice(0, length - 100));

        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> dst.device().transition(RUNNING));
        assertEquals("0000:81:00.0: arc RESUMING -> STOP failed (on the way RESUMING -> RUNNING); the device is in "
                + "ERROR until reset: truncated stream: " + (length - 100) + " of the " + length
                + " bytes of this device's state", e.getMessage());
        assertEquals(ERROR, dst.device().state());
        assertEquals(ERROR, dst.hardwareState());
        assertArrayEquals(bar0, dst.barContents(0));
        assertArrayEquals(regs, dst.registers());

        dst.device().reset();
        assertEquals(RUNNING, dst.device().state());
    }

    @Test
    void aCorruptedStreamFailsItsChecksumAndTheDestinationIsUnchanged() throws IOException {
        SimulatedPassthroughDevice src = sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY);
        scribble(src, 4);
        ByteBuf bytes = saveState(src);
        bytes.setByte(bytes.readableBytes() / 2, bytes.getByte(bytes.readableBytes() / 2) ^ 0x10);
        SimulatedPassthroughDevice dst = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY);
        byte[] bar2 = dst.barContents(2);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> dst.device().transition(STOP));
        assertTrue(e.getMessage().contains("corrupted stream: checksum 0x"), e.getMessage());
        assertEquals(ERROR, dst.device().state());
        assertArrayEquals(bar2, dst.barContents(2));
    }

    @Test
    void anInjectedArcFailureLeavesErrorAndResetRecovers() throws IOException {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        scribble(d, 5);
        d.failArc(RUNNING_P2P, STOP);
        MigrationDriverException e = assertThrows(MigrationDriverException.class, () -> d.device().transition(STOP_COPY));
        assertTrue(e.getMessage().endsWith("ERROR until reset: injected failure on arc RUNNING_P2P -> STOP"),
                e.getMessage());
        assertEquals(ERROR, d.device().state());
        assertEquals(ERROR, d.hardwareState());
        assertThrows(MmioViolationException.class, () -> d.mmioRead("vcpu0", 0, 0, 4));

        d.device().reset();
        assertEquals(RUNNING, d.device().state());
        assertArrayEquals(new byte[0x1000], d.barContents(0), "a reset is a function-level reset");
        d.mmioWrite("vcpu0", 0, 0, 4, 0xabcd);
        assertEquals(0xabcd, d.mmioRead("vcpu0", 0, 0, 4));
        assertEquals(List.of(RUNNING, RUNNING_P2P, STOP, STOP_COPY), d.device().transition(STOP_COPY).path(),
                "the injected failure fired once");
    }

    @Test
    void anArcTheDeviceNeverTakesCannotBeMadeToFail() {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.failArc(RUNNING, STOP));
        assertEquals("arc RUNNING -> STOP is never taken by a device with flags STOP_COPY,P2P, so it cannot be made to "
                + "fail", e.getMessage());
    }

    @Test
    void touchingTheDeviceInStopIsDetected() {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        d.device().transition(STOP);
        MmioViolationException e = assertThrows(MmioViolationException.class,
                () -> d.mmioWrite("virtio-net", 2, 0x40, 4, 0xdeadbeefL));
        assertEquals("0000:01:00.0: virtio-net write 4 bytes at BAR 2 + 0x40 = 0xdeadbeef in STOP: the device must "
                + "not be touched in STOP (the access is refused)", e.getMessage());
        assertEquals(List.of(new MmioAccess("virtio-net", 2, 0x40, 4, true, 0xdeadbeefL, STOP)), d.violations());
        assertArrayEquals(new byte[0x4000], d.barContents(2), "the write did not land");
    }

    @Test
    void touchingTheDeviceInStopCopyOrResumingIsDetectedToo() {
        for (MigrationState s : List.of(STOP_COPY, RESUMING)) {
            SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
            d.device().transition(s);
            assertThrows(MmioViolationException.class, () -> d.mmioRead("virtio-blk", 0, 0, 8), s.name());
            assertThrows(MmioViolationException.class, () -> d.mmioWrite("vcpu0", 0, 0, 1, 1), s.name());
            assertEquals(2, d.violations().size(), s.name());
            assertEquals(s, d.violations().get(0).state());
            assertEquals(0, d.registers()[SimulatedPassthroughDevice.REG_READS], "refused accesses are not counted");
        }
    }

    @Test
    void p2pStatesAcceptInboundMmio() {
        for (MigrationState s : List.of(RUNNING_P2P, PRE_COPY_P2P)) {
            SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.ALL);
            d.device().transition(s);
            d.mmioWrite("virtio-net", 2, 0x100, 8, 0x0123456789abcdefL);
            assertEquals(0x0123456789abcdefL, d.mmioRead("vcpu0", 2, 0x100, 8));
            assertEquals(0x89abcdefL, d.mmioRead("vcpu0", 2, 0x100, 4), "little-endian");
            assertEquals(List.of(), d.violations());
            assertEquals(List.of(s, s, s), d.accesses().stream().map(MmioAccess::state).toList());
        }
    }

    @Test
    void accessesAreRecordedWithInitiatorBarOffsetSizeDirectionAndState() {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        d.mmioWrite("vcpu0", 0, 0x10, 2, 0x1ffff);
        assertEquals(0xffff, d.mmioRead("e1000", 0, 0x10, 2));
        assertEquals(List.of(new MmioAccess("vcpu0", 0, 0x10, 2, true, 0xffff, RUNNING),
                new MmioAccess("e1000", 0, 0x10, 2, false, 0xffff, RUNNING)), d.accesses());
        assertEquals(1, d.registers()[SimulatedPassthroughDevice.REG_WRITES]);
        assertEquals(1, d.registers()[SimulatedPassthroughDevice.REG_READS]);
    }

    @Test
    void badAccessesAreRefusedNamingTheValue() {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.WITH_P2P);
        assertEquals("0000:01:00.0: access size 3, expected 1, 2, 4 or 8 bytes",
                assertThrows(IllegalArgumentException.class, () -> d.mmioRead("vcpu0", 0, 0, 3)).getMessage());
        assertEquals("0000:01:00.0: access 0xffc+8 to BAR 0 (0x1000 bytes): outside the BAR",
                assertThrows(IllegalArgumentException.class, () -> d.mmioWrite("vcpu0", 0, 0xffc, 8, 0)).getMessage());
        assertEquals("0000:01:00.0: no BAR 1, the device has [BAR 0 (0x1000 bytes), BAR 2 (0x4000 bytes)]",
                assertThrows(IllegalArgumentException.class, () -> d.mmioRead("vcpu0", 1, 0, 4)).getMessage());
        assertEquals(List.of(), d.accesses());
    }

    @Test
    void requestsToOrFromErrorOrUnsupportedStatesLeaveTheDeviceUnchanged() {
        SimulatedPassthroughDevice d = sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY);
        PassthroughDevice dev = d.device();
        for (MigrationState bad : List.of(ERROR, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P)) {
            assertThrows(MigrationTransitionException.class, () -> dev.transition(bad), bad.name());
            assertEquals(RUNNING, dev.state());
            assertEquals(RUNNING, d.hardwareState());
        }
        d.failArc(STOP, STOP_COPY);
        assertThrows(MigrationDriverException.class, () -> dev.transition(STOP_COPY));
        for (MigrationState any : MigrationState.values()) {
            assertThrows(MigrationTransitionException.class, () -> dev.transition(any), any.name());
            assertEquals(ERROR, dev.state());
        }
    }

    /** The simulated driver accepts only the arcs the kernel's comment lists, and every kernel path uses only those. */
    @Test
    void everyKernelPathIsMadeOfArcsTheSimulatedDriverAccepts() throws IOException {
        for (MigrationFlags flags : MigrationFlags.uapiFlagSets()) {
            ByteBuf state = saveState(sim("0000:01:00.0", flags));
            for (MigrationState from : flags.supportedStates()) {
                for (MigrationState to : flags.supportedStates()) {
                    if (from == STOP_COPY && (to == PRE_COPY || to == PRE_COPY_P2P)) {
                        continue;
                    }
                    SimulatedPassthroughDevice d = sim("0000:02:00.0", flags);
                    MigrationDataSink sink = d.device().transition(from).sink().orElse(null);
                    if (sink != null) {
                        sink.write(state.duplicate());
                    }
                    assertEquals(MigrationFsm.path(flags, from, to), d.device().transition(to).path());
                    assertEquals(to, d.hardwareState(), flags + " " + from + " -> " + to);
                }
            }
        }
    }

    /** A real VM's 256 MiB BAR: its state carries the pages written, not a dense copy, and they arrive intact. */
    @Test
    void aLargeBarTravelsAsItsWrittenPagesOnly() throws IOException {
        PciBar big = new PciBar(1, 256L << 20);
        SimulatedPassthroughDevice src = new SimulatedPassthroughDevice(PciAddress.parse("0000:0c:00.0"),
                MigrationFlags.STOP_COPY_ONLY, big);
        long[] offsets = {0, 0x1ff8, 0x7654320, (256L << 20) - 8};
        for (int i = 0; i < offsets.length; i++) {
            src.mmioWrite("nvme", 1, offsets[i], 8, 0x1111_0000_0000_0000L + i);
        }
        ByteBuf bytes = saveState(src);
        // header, one BAR entry, 4 pages with their offsets, 4 registers, 4 ledger entries, the CRC
        assertEquals(24 + 16 + 4 * (8 + 4096) + 4 * 8 + 4 * 8 + 4, bytes.readableBytes());
        SimulatedPassthroughDevice dst = new SimulatedPassthroughDevice(PciAddress.parse("0000:0c:00.0"),
                MigrationFlags.STOP_COPY_ONLY, big);
        dst.device().transition(RESUMING).sink().orElseThrow().write(bytes);
        dst.device().transition(RUNNING);
        for (int i = 0; i < offsets.length; i++) {
            assertEquals(0x1111_0000_0000_0000L + i, dst.mmioRead("vcpu0", 1, offsets[i], 8), "offset " + offsets[i]);
        }
        assertEquals(List.of(0L, 0x1000L, 0x7654000L, (256L << 20) - 4096), List.copyOf(dst.barPages(1).keySet()));
        assertEquals(0, dst.mmioRead("vcpu0", 1, 0x8000, 8), "an untouched page reads as zero");
    }

    @Test
    void aStateClaimingMorePagesThanItsBarHasIsRefused() throws IOException {
        ByteBuf bytes = saveState(sim("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY));
        bytes.setIntLE(24 + 12, 2); // BAR 0 is one page
        MigrationDataSink in = sim("0000:81:00.0", MigrationFlags.STOP_COPY_ONLY).device().transition(RESUMING).sink()
                .orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class, () -> in.write(bytes));
        assertEquals("0000:81:00.0: the stream carries 2 pages of BAR 0 (0x1000 bytes), which has 1", e.getMessage());
    }

    @Test
    void aStateWithMorePagesThanTheBoundIsRefusedBeforeItsPagesArrive() throws IOException {
        PciBar big = new PciBar(0, 1L << 30);
        SimulatedPassthroughDevice src = new SimulatedPassthroughDevice(PciAddress.parse("0000:01:00.0"),
                MigrationFlags.STOP_COPY_ONLY, big);
        ByteBuf bytes = saveState(src);
        bytes.setIntLE(24 + 12, SimulatedPassthroughDevice.MAX_STATE_PAGES + 1);
        MigrationDataSink in = new SimulatedPassthroughDevice(PciAddress.parse("0000:81:00.0"),
                MigrationFlags.STOP_COPY_ONLY, big).device().transition(RESUMING).sink().orElseThrow();
        MigrationStreamException e = assertThrows(MigrationStreamException.class,
                () -> in.write(bytes.retainedSlice(0, 40)));
        assertEquals("0000:81:00.0: the stream carries " + (SimulatedPassthroughDevice.MAX_STATE_PAGES + 1)
                + " BAR pages, at most " + SimulatedPassthroughDevice.MAX_STATE_PAGES + " are accepted", e.getMessage());
    }
}
