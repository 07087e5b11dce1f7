package dev.mmiomediator.vfio.sim;

import static dev.mmiomediator.vfio.MigrationState.PRE_COPY;
import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RESUMING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;

import dev.mmiomediator.vfio.MigrationData;
import dev.mmiomediator.vfio.MigrationDataSink;
import dev.mmiomediator.vfio.MigrationDataSource;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.MigrationStreamException;
import dev.mmiomediator.memory.SparseRam;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import it.unimi.dsi.fastutil.longs.LongArrayList;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;

/**
 * A simulated VFIO function: the hardware and its migration driver behind a {@link PassthroughDevice}
 * ({@link #device()}).
 *
 * <ul>
 *   <li>BARs are sparse memory ({@link SparseRam}: untouched pages cost nothing and read as zero, so a real
 *       VM's 256 MiB BAR can be simulated); {@link #mmioRead}/{@link #mmioWrite} access them little-endian, 1 to 8 bytes,
 *       and count accepted accesses in registers {@link #REG_READS} and {@link #REG_WRITES}; two more
 *       registers are scratch internal state. Every access is recorded in {@link #accesses()}.</li>
 *   <li>The <em>write ledger</em> ({@link #writeLedger()}) holds the value of every MMIO write the device took, in
 *       order: the simulation's software devices write their write's identity, so the ledger says which writes
 *       reached the device and how often. It is device state: it travels in the migration data with the BARs, is
 *       replaced on resuming and cleared by a reset. It holds at most {@link #LEDGER_CAPACITY} entries; writes
 *       beyond are counted in {@link #unrecordedWrites()}, so an incomplete ledger is never taken for a complete
 *       one.</li>
 *   <li>An access while the device is in a state that must not be touched is refused: it is recorded in
 *       {@link #violations()} and an {@link MmioViolationException} is thrown. The check uses the hardware's
 *       own state, which changes inside the arc, so an access racing with the publication of a new state is
 *       caught too.</li>
 *   <li>Migration: the arc into STOP_COPY snapshots BAR contents and registers into the saving session
 *       (a session opened in PRE_COPY stays empty until then); the resuming session checks the bytes as they
 *       arrive and the arc out of RESUMING applies them, or fails without touching the device.</li>
 *   <li>Only arcs the kernel asks of a driver with this device's flags are accepted (the list in the comment
 *       above {@code vfio_from_fsm_table}); any other is a bug in the caller and fails the arc.</li>
 *   <li>{@link #failArc} makes the next such arc fail (the device goes to ERROR); a reset is a function-level
 *       reset: BARs and registers back to zero, sessions closed, RUNNING.</li>
 * </ul>
 *
 * <p><b>Note:</b> thread-safe; every method synchronizes on this object.
 */
public final class SimulatedPassthroughDevice implements MigrationDriver {
    /** Number of internal registers. */
    public static final int REGISTER_COUNT = 4;
    /** Register counting the MMIO writes the device accepted. */
    public static final int REG_WRITES = 0;
    /** Register counting the MMIO reads the device accepted. */
    public static final int REG_READS = 1;
    /** Largest BAR the simulation backs with (sparse) memory: 64 GiB, more than a real GPU's largest BAR. */
    public static final long MAX_BAR_SIZE = 1L << 36;
    /** The BAR page the device state carries: only pages that are not all zero travel. */
    public static final int STATE_PAGE = 4096;
    /**
     * The most non-zero BAR pages a device state carries ({@value} pages, 16 MiB, across all BARs): the bound of a
     * state's size, on both ends, whatever the BARs' sizes.
     */
    public static final int MAX_STATE_PAGES = 4096;
    /** The most writes the ledger records (8 bytes each in the device state); a run makes tens of thousands. */
    public static final int LEDGER_CAPACITY = 1 << 20;

    private final PassthroughDevice device;
    private final List<PciBar> bars;
    private final SparseRam[] memory;
    private final long[] registers = new long[REGISTER_COUNT];
    private final LongArrayList ledger = new LongArrayList();
    private long unrecorded;
    private final long legalArcs;
    private final List<MmioAccess> accesses = new ArrayList<>();
    private final List<MmioAccess> violations = new ArrayList<>();
    private final List<MigrationState[]> failingArcs = new ArrayList<>();
    private MigrationState hardware = RUNNING;
    private SavingSession saving;
    private ResumingSession resuming;

    /**
     * A RUNNING device with zeroed BARs and registers.
     *
     * @throws IllegalArgumentException naming the BAR if one is larger than {@link #MAX_BAR_SIZE} or two share
     *                                  an index
     */
    public SimulatedPassthroughDevice(PciAddress address, MigrationFlags flags, PciBar... bars) {
        this.device = new PassthroughDevice(address, flags, List.of(bars), this);
        this.bars = device.bars();
        this.memory = new SparseRam[this.bars.size()];
        for (int i = 0; i < memory.length; i++) {
            PciBar bar = this.bars.get(i);
            if (bar.size() > MAX_BAR_SIZE) {
                throw new IllegalArgumentException(address + ": " + bar + " is larger than the 0x"
                        + Long.toHexString(MAX_BAR_SIZE) + " bytes a simulated device backs with memory");
            }
            memory[i] = new SparseRam(bar.size());
        }
        this.legalArcs = kernelArcs(flags);
    }

    /** The device model to transition, reset and read the state of. */
    public PassthroughDevice device() {
        return device;
    }

    // --- MMIO ---------------------------------------------------------------------------------------------

    /**
     * A read of {@code size} bytes at {@code offset} of BAR {@code bar} by {@code initiator}, zero-extended.
     *
     * @throws MmioViolationException   if the device is in a state that must not be touched (recorded)
     * @throws IllegalArgumentException naming the value for a missing BAR, a bad size or an access outside the BAR
     */
    public synchronized long mmioRead(String initiator, int bar, long offset, int size) {
        SparseRam mem = memory(bar, offset, size);
        if (hardware.mustNotBeTouched()) {
            throw violation(new MmioAccess(initiator, bar, offset, size, false, 0, hardware));
        }
        long value = mem.read(offset, size);
        registers[REG_READS]++;
        accesses.add(new MmioAccess(initiator, bar, offset, size, false, value, hardware));
        return value;
    }

    /**
     * A write of the low {@code size} bytes of {@code value} at {@code offset} of BAR {@code bar} by
     * {@code initiator}.
     *
     * @throws MmioViolationException   if the device is in a state that must not be touched (recorded, not written)
     * @throws IllegalArgumentException naming the value for a missing BAR, a bad size or an access outside the BAR
     */
    public synchronized void mmioWrite(String initiator, int bar, long offset, int size, long value) {
        SparseRam mem = memory(bar, offset, size);
        long v = size == 8 ? value : value & ((1L << (8 * size)) - 1);
        MmioAccess access = new MmioAccess(initiator, bar, offset, size, true, v, hardware);
        if (hardware.mustNotBeTouched()) {
            throw violation(access);
        }
        mem.write(offset, size, v);
        registers[REG_WRITES]++;
        if (ledger.size() < LEDGER_CAPACITY) {
            ledger.add(v);
        } else {
            unrecorded++;
        }
        accesses.add(access);
    }

    private SparseRam memory(int bar, long offset, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException(device.address() + ": access size " + size
                    + ", expected 1, 2, 4 or 8 bytes");
        }
        for (int i = 0; i < bars.size(); i++) {
            if (bars.get(i).index() == bar) {
                if (offset < 0 || offset > bars.get(i).size() - size) {
                    throw new IllegalArgumentException(device.address() + ": access 0x" + Long.toHexString(offset)
                            + "+" + size + " to " + bars.get(i) + ": outside the BAR");
                }
                return memory[i];
            }
        }
        throw new IllegalArgumentException(device.address() + ": no BAR " + bar + ", the device has " + bars);
    }

    private MmioViolationException violation(MmioAccess access) {
        accesses.add(access);
        violations.add(access);
        return new MmioViolationException(device.address() + ": " + access + ": the device must not be touched in "
                + access.state() + " (the access is refused)", access);
    }

    /** Every access received, refused ones included, in order. */
    public synchronized List<MmioAccess> accesses() {
        return List.copyOf(accesses);
    }

    /** The accesses refused because the device was in a state that must not be touched, in order. */
    public synchronized List<MmioAccess> violations() {
        return List.copyOf(violations);
    }

    // --- internal state -----------------------------------------------------------------------------------

    /**
     * A copy of the contents of BAR {@code bar}, dense: for small BARs (see {@link #barPages} for any size).
     *
     * @throws IllegalArgumentException if the device has no such BAR, or it is larger than 16 MiB
     */
    public synchronized byte[] barContents(int bar) {
        SparseRam mem = memory(bar, 0, 1);
        if (mem.size() > 1L << 24) {
            throw new IllegalArgumentException(device.address() + ": BAR " + bar + " is 0x" + Long.toHexString(mem.size())
                    + " bytes, expected at most 16 MiB for a dense copy (barPages gives any size)");
        }
        byte[] out = new byte[(int) mem.size()];
        mem.read(0, out, 0, out.length);
        return out;
    }

    /**
     * The pages of BAR {@code bar} ({@value #STATE_PAGE} bytes each) that are not all zero, by offset, ascending;
     * copies. Every other byte of the BAR is zero.
     *
     * @throws IllegalArgumentException if the device has no such BAR
     */
    public synchronized NavigableMap<Long, byte[]> barPages(int bar) {
        return memory(bar, 0, 1).nonZeroPages(STATE_PAGE);
    }

    /** A copy of the write ledger: the value of every MMIO write taken, in order (see the class comment). */
    public synchronized long[] writeLedger() {
        return ledger.toLongArray();
    }

    /** Writes taken while the ledger was full: 0 unless {@link #writeLedger()} is incomplete. */
    public synchronized long unrecordedWrites() {
        return unrecorded;
    }

    /** A copy of the registers. */
    public synchronized long[] registers() {
        return registers.clone();
    }

    /**
     * Sets register {@code index}: the device's own activity, for tests (it is device-internal state, not MMIO).
     *
     * @throws IllegalArgumentException naming the index if it is not 0 to {@link #REGISTER_COUNT} - 1
     */
    public synchronized void setRegister(int index, long value) {
        if (index < 0 || index >= REGISTER_COUNT) {
            throw new IllegalArgumentException("register " + index + ": expected 0 to " + (REGISTER_COUNT - 1));
        }
        registers[index] = value;
    }

    /** The state the simulated hardware is in; it changes inside an arc, before the device model publishes it. */
    public synchronized MigrationState hardwareState() {
        return hardware;
    }

    /**
     * Makes the next arc {@code from -> to} fail with an {@link IOException}, once.
     *
     * @throws IllegalArgumentException if no kernel path with this device's flags uses that arc
     */
    public synchronized void failArc(MigrationState from, MigrationState to) {
        if (!legal(from, to)) {
            throw new IllegalArgumentException("arc " + from + " -> " + to + " is never taken by a device with flags "
                    + device.flags() + ", so it cannot be made to fail");
        }
        failingArcs.add(new MigrationState[] {from, to});
    }

    // --- migration driver ---------------------------------------------------------------------------------

    @Override
    public synchronized MigrationData arc(MigrationState from, MigrationState to) throws IOException {
        if (from != hardware) {
            throw new IllegalStateException(device.address() + ": asked for arc " + from + " -> " + to
                    + " but the hardware is in " + hardware);
        }
        if (!legal(from, to)) {
            throw new IllegalStateException(device.address() + ": arc " + from + " -> " + to
                    + " is not one the kernel asks of a driver with flags " + device.flags());
        }
        for (int i = 0; i < failingArcs.size(); i++) {
            if (failingArcs.get(i)[0] == from && failingArcs.get(i)[1] == to) {
                failingArcs.remove(i);
                fail();
                throw new IOException("injected failure on arc " + from + " -> " + to);
            }
        }
        MigrationData opened = null;
        if (to == STOP_COPY) {
            if (!from.isSaving()) {
                saving = new SavingSession();
                opened = saving;
            }
            List<NavigableMap<Long, byte[]>> pages = new ArrayList<>();
            int count = 0;
            for (SparseRam m : memory) {
                pages.add(m.nonZeroPages(STATE_PAGE));
                count += pages.get(pages.size() - 1).size();
            }
            if (count > MAX_STATE_PAGES) {
                fail();
                throw new IOException(device.address() + ": " + count + " non-zero BAR pages to save, a state carries"
                        + " at most " + MAX_STATE_PAGES);
            }
            saving.finish(DeviceStateCodec.encode(bars, pages, registers, ledger.elements(), ledger.size(),
                    unrecorded));
        } else if (to.isSaving() && !from.isSaving()) {
            saving = new SavingSession();
            opened = saving;
        } else if (from.isSaving() && !to.isSaving()) {
            saving.close(from + " -> " + to);
            saving = null;
        } else if (to == RESUMING) {
            resuming = new ResumingSession();
            opened = resuming;
        } else if (from == RESUMING) {
            try {
                load(resuming.decoder.finish());
            } catch (MigrationStreamException e) {
                fail();
                throw e;
            } finally {
                if (resuming != null) {
                    resuming.close();
                    resuming = null;
                }
            }
        }
        hardware = to;
        return opened;
    }

    private void load(DeviceStateCodec.State state) {
        for (int i = 0; i < memory.length; i++) {
            SparseRam fresh = new SparseRam(bars.get(i).size());
            state.pages().get(i).forEach((offset, page) -> fresh.write(offset, page, 0, page.length));
            memory[i] = fresh;
        }
        System.arraycopy(state.registers(), 0, registers, 0, REGISTER_COUNT);
        ledger.clear();
        ledger.addElements(0, state.ledger());
        unrecorded = state.unrecorded();
    }

    private void fail() {
        hardware = MigrationState.ERROR;
        closeSessions("the device failed");
    }

    private void closeSessions(String why) {
        if (saving != null) {
            saving.close(why);
            saving = null;
        }
        if (resuming != null) {
            resuming.close();
            resuming = null;
        }
    }

    /** A function-level reset: BARs and registers zeroed, sessions closed, RUNNING. */
    @Override
    public synchronized void reset() {
        closeSessions("the device was reset");
        for (int i = 0; i < memory.length; i++) {
            memory[i] = new SparseRam(bars.get(i).size());
        }
        Arrays.fill(registers, 0);
        ledger.clear();
        unrecorded = 0;
        hardware = RUNNING;
    }

    private boolean legal(MigrationState from, MigrationState to) {
        return (legalArcs & bit(from, to)) != 0;
    }

    private static long bit(MigrationState from, MigrationState to) {
        return 1L << (from.uapi() * 8 + to.uapi());
    }

    /** The arcs the kernel's comment above {@code vfio_from_fsm_table} requires of a driver with {@code flags}. */
    private static long kernelArcs(MigrationFlags flags) {
        boolean p2p = flags.has(MigrationFlag.P2P);
        long arcs = bit(STOP, STOP_COPY) | bit(STOP_COPY, STOP) | bit(STOP, RESUMING) | bit(RESUMING, STOP);
        if (p2p) {
            arcs |= bit(RUNNING, RUNNING_P2P) | bit(RUNNING_P2P, RUNNING) | bit(RUNNING_P2P, STOP)
                    | bit(STOP, RUNNING_P2P);
        } else {
            arcs |= bit(RUNNING, STOP) | bit(STOP, RUNNING);
        }
        if (flags.has(MigrationFlag.PRE_COPY)) {
            arcs |= bit(RUNNING, PRE_COPY) | bit(PRE_COPY, RUNNING);
            if (p2p) {
                arcs |= bit(PRE_COPY, PRE_COPY_P2P) | bit(PRE_COPY_P2P, PRE_COPY) | bit(PRE_COPY_P2P, RUNNING_P2P)
                        | bit(PRE_COPY_P2P, STOP_COPY) | bit(RUNNING_P2P, PRE_COPY_P2P);
            } else {
                arcs |= bit(PRE_COPY, STOP_COPY);
            }
        }
        return arcs;
    }

    /** {@code simulated 0000:01:00.0 [STOP_COPY,P2P] RUNNING}. */
    @Override
    public String toString() {
        return "simulated " + device;
    }

    // --- sessions -----------------------------------------------------------------------------------------

    /** The saving end: empty during pre-copy, the whole state once STOP_COPY is reached. */
    private final class SavingSession implements MigrationDataSource {
        private ByteBuf data = Unpooled.EMPTY_BUFFER;
        private boolean complete;
        private String closed;

        void finish(ByteBuf state) {
            data = state;
            complete = true;
        }

        void close(String why) {
            closed = why;
        }

        @Override
        public int read(ByteBuf dst) throws IOException {
            synchronized (SimulatedPassthroughDevice.this) {
                if (closed != null) {
                    throw new MigrationStreamException(device.address() + ": saving session closed (" + closed + ")");
                }
                int n = Math.min(dst.writableBytes(), data.readableBytes());
                if (n == 0) {
                    return complete && !data.isReadable() ? -1 : 0;
                }
                dst.writeBytes(data, n);
                return n;
            }
        }
    }

    /** Decodes {@code state} as a resuming session would, framing and checksum included; touches nothing. */
    @Override
    public void checkState(byte[] state) throws MigrationStreamException {
        DeviceStateCodec.Decoder check = new DeviceStateCodec.Decoder(bars, REGISTER_COUNT, LEDGER_CAPACITY,
                MAX_STATE_PAGES);
        check.write(Unpooled.wrappedBuffer(state));
        check.finish();
    }

    /** The resuming end: checks bytes as they arrive; the arc out of RESUMING loads them. */
    private final class ResumingSession implements MigrationDataSink {
        final DeviceStateCodec.Decoder decoder = new DeviceStateCodec.Decoder(bars, REGISTER_COUNT,
                LEDGER_CAPACITY, MAX_STATE_PAGES);
        private boolean closed;

        void close() {
            closed = true;
        }

        @Override
        public void write(ByteBuf src) throws IOException {
            synchronized (SimulatedPassthroughDevice.this) {
                if (closed) {
                    throw new MigrationStreamException(device.address() + ": resuming session closed");
                }
                try {
                    decoder.write(src);
                } catch (MigrationStreamException e) {
                    throw new MigrationStreamException(device.address() + ": " + e.getMessage());
                }
            }
        }
    }
}
