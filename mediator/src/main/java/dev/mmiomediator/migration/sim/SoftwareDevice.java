package dev.mmiomediator.migration.sim;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.memory.PassthroughBar;
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
 * {@link #p2pEvery} rounds posts an 8-byte write into one slot of its window in a random BAR (P2P space). It
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
    /** One P2P write every this many rounds, in a VM of at most {@link #FULL_RATE_DEVICES} software devices. */
    public static final int P2P_EVERY = 4;
    /**
     * The most software devices that each post P2P writes at the full rate. A VM with more (a real VM's dump has
     * some thirty DMA initiators) shares that rate: each device posts one in {@link #p2pEvery} rounds, so the VM's
     * P2P traffic, and what a policy holds for a stopped device, stays what a few busy devices make, not thirty
     * times it (the held queues are bounded; a full one aborts the migration, as queue-and-replay documents).
     */
    public static final int FULL_RATE_DEVICES = 4;
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

    private final String name;
    /** The side, as {@link EngineLog} names it in the worker thread's log lines. */
    private final String sideLabel;
    private final DmaPort port;
    /** The guest address of its half RAM window. */
    private final long ramBase;
    /** The RAM region its window is in, and the window's offset there. */
    private final String ramRegion;
    private final long ramRegionOffset;
    /** Per target BAR, its window's offset in the BAR (its half). */
    private final long[] barOffsets;
    /** Per target BAR, the slots of its half window. */
    private final int[] barSlots;
    /** Where each target BAR is mapped. */
    private final long[] bars;
    /** The target BARs, for painting images. */
    private final PassthroughBar[] targetBars;
    private final int p2pEvery;
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
     * @param ramWindows where device 0's RAM window starts: a guest address, and the RAM region and offset there
     * @param bars       where each target BAR is mapped
     * @param barWindows per target BAR, the bytes of each device's window in it (a multiple of 16: two halves of
     *                   8-byte slots)
     * @param targetBars the target BARs
     * @param barDevice  per target BAR, the index in {@code devices} of the device it belongs to
     * @param p2pEvery   one P2P write every this many rounds
     */
    SoftwareDevice(String name, int index, Side side, Mediator mediator, long ramWindows, String ramRegion,
                   long ramRegionWindows, long[] bars, int[] barWindows, PassthroughBar[] targetBars, int[] barDevice,
                   PciAddress[] devices, int p2pEvery, long seed) {
        if (barDevice.length != bars.length || barWindows.length != bars.length || targetBars.length != bars.length) {
            throw new IllegalArgumentException(name + ": " + bars.length + " target BARs but " + barDevice.length
                    + " device indexes, " + barWindows.length + " windows and " + targetBars.length + " names");
        }
        if (p2pEvery < 1) {
            throw new IllegalArgumentException(name + ": one P2P write in " + p2pEvery + " rounds, expected 1 or more");
        }
        this.name = name;
        this.sideLabel = side.name().toLowerCase(Locale.ROOT);
        this.id = index * 2 + side.ordinal() + 1;
        this.port = mediator.port(Initiator.softwareDevice(name));
        long half = (long) index * SimulatedVm.RAM_WINDOW + (long) side.ordinal() * SimulatedVm.RAM_WINDOW / 2;
        this.ramBase = ramWindows + half;
        this.ramRegion = VmImage.ramPlace(ramRegion);
        this.ramRegionOffset = ramRegionWindows + half;
        this.barOffsets = new long[bars.length];
        this.barSlots = new int[bars.length];
        for (int b = 0; b < bars.length; b++) {
            if (barWindows[b] < 16 || barWindows[b] % 16 != 0) {
                throw new IllegalArgumentException(name + ": a window of " + barWindows[b] + " bytes in "
                        + targetBars[b] + ", expected a multiple of 16");
            }
            barOffsets[b] = (long) index * barWindows[b] + (long) side.ordinal() * barWindows[b] / 2;
            barSlots[b] = barWindows[b] / 2 / 8;
        }
        this.targetBars = targetBars.clone();
        this.p2pEvery = p2pEvery;
        this.bars = bars;
        this.barDevice = barDevice.clone();
        this.devices = devices.clone();
        this.accepted = new LongArrayList[devices.length];
        for (int i = 0; i < devices.length; i++) {
            accepted[i] = new LongArrayList();
        }
        this.barLast = new long[bars.length][];
        for (int b = 0; b < bars.length; b++) {
            barLast[b] = new long[barSlots[b]];
        }
        this.random = new SplittableRandom(seed);
    }

    /**
     * One P2P write in how many rounds each of {@code devices} software devices posts: {@link #P2P_EVERY}, times
     * the number of groups of {@link #FULL_RATE_DEVICES} they make.
     */
    public static int p2pEvery(int devices) {
        return P2P_EVERY * Math.max(1, (devices + FULL_RATE_DEVICES - 1) / FULL_RATE_DEVICES);
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
        if (sequence % p2pEvery == 0 && bars.length > 0) {
            int b = random.nextInt(bars.length);
            int s = random.nextInt(barSlots[b]);
            int r = port.write(bars[b] + barOffsets[b] + 8L * s, 8, value);
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

    /**
     * Paints its accepted writes into {@code image}: its RAM window and its window in every target BAR; zeroes
     * them if {@code clear}.
     */
    void paint(VmImage image, boolean clear) {
        for (int s = 0; s < RAM_SLOTS; s++) {
            image.putLong(ramRegion, ramRegionOffset + 8L * s, clear ? 0 : ramLast[s]);
        }
        for (int b = 0; b < bars.length; b++) {
            String place = VmImage.barPlace(targetBars[b]);
            for (int s = 0; s < barSlots[b]; s++) {
                image.putLong(place, barOffsets[b] + 8L * s, clear ? 0 : barLast[b][s]);
            }
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
