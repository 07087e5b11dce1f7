package dev.mmiomediator.migration.sim;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.policy.EngineLog;
import it.unimi.dsi.fastutil.longs.LongArrayList;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated software (emulated) device: a thread doing DMA through its own {@link DmaPort}, as a virtio or
 * NVMe model does. Each round it writes 8 bytes into one slot of its RAM window, reads one slot back, and one in
 * {@value #P2P_EVERY} rounds posts an 8-byte write into one slot of its window in a random BAR (P2P space). It
 * records, per slot, the last value whose write was accepted (RAM: {@code OK}; P2P: forwarded or queued), so the
 * expected final memory follows from its own record, independently of the mediator; and it counts what the
 * mediator answered.
 *
 * <p>Every value it writes is the write's <em>identity</em>, {@code id << 48 | sequence} ({@link #identity}): its
 * own id, unique in a migration (odd on the source, even on the destination), and its round number. For P2P writes
 * it keeps, per target device, the identities the mediator accepted ({@link #acceptedIdentities()}); the devices'
 * write ledgers say which they took, so a lost and a duplicated write are each seen, not netted out.
 *
 * <p>Its windows depend on its index and its {@link Side}: the source's and the destination's workers of the
 * same index write into disjoint halves, so both sides' expectations combine into one image.
 *
 * <p><b>Note:</b> {@link #start}/{@link #stop} from one controlling thread; counts are read after {@link #stop}.
 */
public final class SoftwareDevice {
    /** One P2P write every this many rounds. */
    public static final int P2P_EVERY = 4;
    /** Rounds between pauses: the device runs at a device-like rate, not flat out. */
    private static final int ROUNDS_PER_PAUSE = 8;
    /** The pause. */
    private static final long PAUSE_NANOS = 50_000;

    /** Which side of a migration the worker runs on. */
    public enum Side {
        /** The source VM. */
        SOURCE,
        /** The destination VM. */
        DESTINATION
    }

    /** Bits of an identity below the initiator id. */
    public static final int SEQUENCE_BITS = 48;

    private static final int RAM_SLOTS = SimulatedVm.RAM_WINDOW / 2 / 8;
    private static final int BAR_SLOTS = SimulatedVm.BAR_WINDOW / 2 / 8;

    private final String name;
    /** The side, as {@link EngineLog} names it in the worker thread's log lines. */
    private final String sideLabel;
    private final DmaPort port;
    private final long ramBase;
    private final long barOffset;
    /** Where each target BAR is mapped. */
    private final long[] bars;
    /** Per target BAR, the index in {@link #devices} of its device. */
    private final int[] barDevice;
    private final PciAddress[] devices;
    /** Per target device, the identities of the P2P writes accepted (forwarded or queued), in order. */
    private final LongArrayList[] accepted;
    private final SplittableRandom random;
    private final int id;
    private final long[] ramLast = new long[RAM_SLOTS];
    private final long[][] barLast;
    private volatile boolean running;
    private Thread thread;
    private long sequence;
    private long p2pWrites;
    private long forwarded;
    private long queued;
    private long failed;
    private long ramErrors;

    /**
     * @param bars      where each target BAR is mapped
     * @param barDevice per target BAR, the index in {@code devices} of the device it belongs to
     */
    SoftwareDevice(String name, int index, Side side, Mediator mediator, long[] bars, int[] barDevice,
                   PciAddress[] devices, long seed) {
        if (barDevice.length != bars.length) {
            throw new IllegalArgumentException(name + ": " + bars.length + " target BARs but " + barDevice.length
                    + " device indexes");
        }
        this.name = name;
        this.sideLabel = side.name().toLowerCase(Locale.ROOT);
        this.id = index * 2 + side.ordinal() + 1;
        this.port = mediator.port(Initiator.softwareDevice(name));
        this.ramBase = (long) index * SimulatedVm.RAM_WINDOW + (long) side.ordinal() * SimulatedVm.RAM_WINDOW / 2;
        this.barOffset = (long) index * SimulatedVm.BAR_WINDOW + (long) side.ordinal() * SimulatedVm.BAR_WINDOW / 2;
        this.bars = bars;
        this.barDevice = barDevice.clone();
        this.devices = devices.clone();
        this.accepted = new LongArrayList[devices.length];
        for (int i = 0; i < devices.length; i++) {
            accepted[i] = new LongArrayList();
        }
        this.barLast = new long[bars.length][BAR_SLOTS];
        this.random = new SplittableRandom(seed);
    }

    /** Its name, the initiator id. */
    public String name() {
        return name;
    }

    /** Its id in its writes' identities: {@code 2 * index + 1} on the source, {@code 2 * index + 2} otherwise. */
    public int id() {
        return id;
    }

    /** The identity of write {@code sequence} of the device with id {@code id}: the 8 bytes it writes. */
    public static long identity(int id, long sequence) {
        return (long) id << SEQUENCE_BITS | sequence;
    }

    /** The id of the device that made the write with this identity. */
    public static int initiatorId(long identity) {
        return (int) (identity >>> SEQUENCE_BITS);
    }

    /** Starts its thread (again, after it stopped, continuing where it was). */
    public synchronized void start() {
        if (thread != null && thread.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        running = true;
        thread = new Thread(() -> {
            try (EngineLog.Scope s = EngineLog.side(sideLabel)) { // the engine's lines for its accesses name it
                loop();
            }
        }, "software-device-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks its thread to stop after its current access; does not wait. */
    public void requestStop() {
        running = false;
    }

    /** Whether its thread has finished (or never started). */
    public synchronized boolean stopped() {
        return thread == null || !thread.isAlive();
    }

    /** The longest a worker may take to finish its current access (a DMA waiting for room in a policy queue). */
    private static final long STOP_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Stops its thread and waits for it to finish its current access. */
    public void stop() {
        requestStop();
        try {
            if (!awaitStopped(System.nanoTime() + STOP_NANOS)) {
                throw new IllegalStateException(name + " did not stop within " + STOP_NANOS / 1_000_000_000L
                        + " s after being asked");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + name, e);
        }
    }

    /**
     * Waits until its thread has finished (or never started), at most until {@code deadline} ({@link
     * System#nanoTime} time).
     *
     * @return whether it has finished
     */
    public boolean awaitStopped(long deadline) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return true;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
        return !t.isAlive();
    }

    private void loop() {
        while (running) {
            for (int i = 0; i < ROUNDS_PER_PAUSE && running; i++) {
                round();
            }
            LockSupport.parkNanos(PAUSE_NANOS);
        }
    }

    private void round() {
        long value = identity(id, ++sequence);
        int slot = random.nextInt(RAM_SLOTS);
        if (port.write(ramBase + 8L * slot, 8, value) == MemTxResult.OK) {
            ramLast[slot] = value;
        } else {
            ramErrors++;
        }
        int back = random.nextInt(RAM_SLOTS);
        if (port.read(ramBase + 8L * back, 8) != ramLast[back]) {
            ramErrors++;
        }
        if (sequence % P2P_EVERY == 0 && bars.length > 0) {
            int b = random.nextInt(bars.length);
            int s = random.nextInt(BAR_SLOTS);
            int r = port.write(bars[b] + barOffset + 8L * s, 8, value);
            p2pWrites++;
            if ((r & MemTxResult.P2P_QUEUED) != 0) {
                queued++;
                barLast[b][s] = value;
                accepted[barDevice[b]].add(value);
            } else if ((r & MemTxResult.P2P_FORWARDED) != 0) {
                forwarded++;
                barLast[b][s] = value;
                accepted[barDevice[b]].add(value);
            } else {
                failed++;
            }
        }
    }

    /** Paints its accepted RAM writes into {@code image} (the whole RAM); zeroes its window if {@code clear}. */
    void paintRam(byte[] image, boolean clear) {
        for (int s = 0; s < RAM_SLOTS; s++) {
            putLong(image, (int) (ramBase + 8L * s), clear ? 0 : ramLast[s]);
        }
    }

    /** As {@link #paintRam}, for the BAR mapped at {@code base}, if it is one of its targets. */
    void paintBar(long base, byte[] image, boolean clear) {
        for (int b = 0; b < bars.length; b++) {
            if (bars[b] == base) {
                for (int s = 0; s < BAR_SLOTS; s++) {
                    putLong(image, (int) (barOffset + 8L * s), clear ? 0 : barLast[b][s]);
                }
            }
        }
    }

    private static void putLong(byte[] image, int at, long v) {
        for (int i = 0; i < 8; i++) {
            image[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /**
     * Per target device (every passthrough device of the VM, in topology order), the identities of the P2P writes
     * the mediator accepted from it (forwarded or queued), in order; copies. Read after {@link #stop}.
     */
    public Map<PciAddress, long[]> acceptedIdentities() {
        Map<PciAddress, long[]> out = new LinkedHashMap<>();
        for (int i = 0; i < devices.length; i++) {
            out.put(devices[i], accepted[i].toLongArray());
        }
        return out;
    }

    /** P2P writes made. */
    public long p2pWrites() {
        return p2pWrites;
    }

    /** P2P writes the mediator forwarded. */
    public long forwarded() {
        return forwarded;
    }

    /** P2P writes the mediator queued (held for replay). */
    public long queued() {
        return queued;
    }

    /** P2P writes that failed (master abort, or an error after a wait). */
    public long failed() {
        return failed;
    }

    /** RAM writes that failed, or read-backs that did not see the last accepted write: always 0 when correct. */
    public long ramErrors() {
        return ramErrors;
    }

    @Override
    public String toString() {
        return name + " (" + p2pWrites + " P2P writes: " + forwarded + " forwarded, " + queued + " queued, "
                + failed + " failed)";
    }
}
