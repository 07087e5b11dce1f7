package dev.mmiomediator.policy;

import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.StateListener;
import org.jctools.queues.MpscArrayQueue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * The writes the {@link PolicyEngine} holds for one registered target device, in replay order, and the waiting
 * of accesses for that target; its {@link StateListener} replays them when the device's state changes to one
 * that accepts inbound MMIO.
 *
 * <p>IMPLEMENTATION NOTES: accessing threads {@link #reserve()} a slot (the count {@link #held()}, which bounds
 * the writes to the capacity) and then {@link #offer} the write to a jctools {@link MpscArrayQueue}, under the
 * device's shared inbound lock. Everything that takes writes out (replay, copy, carry, import) runs under the
 * exclusive side ({@link PassthroughDevice#exclusive} or a state listener): it first drains the queue behind
 * {@link #front}, which therefore needs no lock of its own. A waiting access waits for {@link #signal()}, which
 * bumps a version under a private monitor, so a signal between reading the version and waiting is not lost.
 */
final class HeldWrites implements StateListener {
    private final PassthroughDevice device;
    /** The device's shared inbound lock and its P2P support, read once: every access asks for them. */
    private final Lock inbound;
    private final boolean supportsP2p;
    private final P2pTarget port;
    private final int capacity;
    private final CounterTable counters;
    private final EngineWarnings warnings;
    private final String engine;
    /**
     * Cleared by {@link #close()} on the exclusive side, read on the shared side: an access that found the target
     * just before it was unregistered must not queue a write nobody would replay.
     */
    private boolean open = true;
    /** Filled by accessing threads under the shared inbound lock; drained only under the exclusive side. */
    private final MpscArrayQueue<QueuedWrite> queue;
    /** Held writes taken out of the queue (or imported), ahead of it; only under the exclusive side. */
    private final ArrayDeque<QueuedWrite> front = new ArrayDeque<>();
    /** Writes held: reserved before an offer, released when replayed or carried. */
    private final AtomicInteger held = new AtomicInteger();
    private final Object changed = new Object();
    private volatile long version; // written under changed; read without it by version(), the per-access read
    private final Supplier<TraceListener> trace;

    /**
     * @param engine for {@link #toString()}, which names this listener among the device's
     * @param trace  the engine's trace listener at the time of asking (null for none), told of each replay
     */
    HeldWrites(PassthroughDevice device, P2pTarget port, int capacity, CounterTable counters,
               EngineWarnings warnings, String engine, Supplier<TraceListener> trace) {
        this.trace = trace;
        this.device = device;
        this.inbound = device.inboundLock();
        this.supportsP2p = device.flags().has(MigrationFlag.P2P);
        this.port = port;
        this.capacity = capacity;
        this.counters = counters;
        this.warnings = warnings;
        this.engine = engine;
        // jctools rounds up to a power of two and needs at least 2; reserve() keeps to the capacity itself
        this.queue = new MpscArrayQueue<>(Math.max(2, capacity));
    }

    /** The device the writes are for. */
    PassthroughDevice device() {
        return device;
    }

    /** The device's shared inbound lock ({@link PassthroughDevice#inboundLock()}). */
    Lock inboundLock() {
        return inbound;
    }

    /** Whether the device implements the P2P migration states. */
    boolean supportsP2p() {
        return supportsP2p;
    }

    /** How the engine reaches the device's BARs. */
    P2pTarget port() {
        return port;
    }

    /** The number of writes held (reserved and offered, or imported; not yet replayed or carried). */
    int held() {
        return held.get();
    }

    /** Whether the device is still registered; read under the shared inbound lock. */
    boolean isOpen() {
        return open;
    }

    /** The device is unregistered: no write may be offered any more, and waiting accesses look again. */
    void close() {
        open = false;
        warnings.queueDrained(this);
        signal();
    }

    /** Takes a slot for one write; false if {@code capacity} writes are held. Any thread. */
    boolean reserve() {
        while (true) {
            int h = held.get();
            if (h >= capacity) {
                return false;
            }
            if (held.compareAndSet(h, h + 1)) {
                return true;
            }
        }
    }

    /** Holds {@code write} in the slot {@link #reserve()} took; shared inbound lock held. */
    void offer(QueuedWrite write) {
        if (!queue.offer(write)) {
            throw new IllegalStateException("P2P queue of " + device.address() + " refused a reserved slot");
        }
    }

    /** A copy of the held writes, in replay order; exclusive side held. */
    List<QueuedWrite> copy() {
        drainQueue();
        return new ArrayList<>(front);
    }

    /**
     * Forgets the first {@code count} held writes, which the destination has taken over, counting them
     * {@code CARRIED}; exclusive side held.
     *
     * @throws IllegalArgumentException naming the values if fewer writes are held; nothing is forgotten
     */
    void confirmCarried(int count) {
        drainQueue();
        if (count < 0 || count > front.size()) {
            throw new IllegalArgumentException("cannot confirm " + count + " carried writes to " + device.address()
                    + ": " + front.size() + " are held");
        }
        for (int i = 0; i < count; i++) {
            QueuedWrite w = front.pollFirst();
            held.decrementAndGet();
            counters.row(w.initiator(), device.address()).increment(PolicyCounters.Counter.CARRIED);
        }
        signal();
    }

    /**
     * Holds {@code carried} (writes a migration stream brought) ahead of every write held here, in the order
     * given, counting them {@code QUEUED}, and replays them at once if the device accepts; exclusive side held.
     * The capacity does not limit them: they were accepted on the source.
     */
    void importAhead(List<QueuedWrite> carried) {
        // no need to drain first: the front list is always ahead of the queue
        for (int i = carried.size() - 1; i >= 0; i--) {
            front.addFirst(carried.get(i));
        }
        held.addAndGet(carried.size());
        for (QueuedWrite w : carried) {
            counters.row(w.initiator(), device.address()).increment(PolicyCounters.Counter.QUEUED);
        }
        if (device.state().acceptsInboundMmio()) {
            replay();
        }
        signal();
    }

    @Override
    public void stateChanged(PassthroughDevice d, MigrationState before, MigrationState now) {
        if (now.acceptsInboundMmio()) {
            replay();
        }
        signal();
    }

    /**
     * Replays every held write in order until one fails (it and those behind it stay held), counting each
     * {@code REPLAYED}; exclusive side held, the device's state accepts.
     *
     * @return the number replayed
     */
    int replay() {
        drainQueue();
        int n = 0;
        while (!front.isEmpty()) {
            QueuedWrite w = front.peekFirst();
            try {
                port.write(w.bar(), w.offset(), w.data(), w.length());
            } catch (RuntimeException e) {
                warnings.replayFailed(w, device, front.size() - 1, e);
                break;
            }
            front.pollFirst();
            held.decrementAndGet();
            counters.row(w.initiator(), device.address()).increment(PolicyCounters.Counter.REPLAYED);
            n++;
        }
        if (front.isEmpty()) {
            warnings.queueDrained(this);
        }
        TraceListener l = n == 0 ? null : trace.get();
        if (l != null) {
            l.replayed(device.address(), n); // guarded by the engine
        }
        return n;
    }

    /** Moves the queue's writes behind {@link #front}; exclusive side held. */
    private void drainQueue() {
        QueuedWrite w;
        while ((w = queue.poll()) != null) {
            front.addLast(w);
        }
    }

    /** The version {@link #await} compares with; read it before the attempt that may have to wait. */
    long version() {
        return version; // volatile: a signal before this read is seen, one after it changes the version await sees
    }

    /** Something a waiting access waits for may have happened: it looks again. */
    void signal() {
        synchronized (changed) {
            version++;
            changed.notifyAll();
        }
    }

    /**
     * Waits until {@link #signal} after {@code seen} was read.
     *
     * @param deadline a {@link System#nanoTime()} value
     * @return false at the deadline, or if interrupted (the interrupt stays set)
     */
    boolean await(long seen, long deadline) {
        synchronized (changed) {
            while (version == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(changed, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public String toString() {
        return engine + " replay of " + device.address();
    }
}
