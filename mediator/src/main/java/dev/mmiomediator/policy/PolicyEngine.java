package dev.mmiomediator.policy;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.dma.P2pHandler;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.StateListener;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;

/**
 * Carries out a {@link P2pPolicy}'s decisions: the mediator's {@link P2pHandler}
 * ({@code mediator.setP2pHandler(engine)}).
 *
 * <p>Per access, the engine finds the target among the {@link #register registered} devices, takes the device's
 * {@link PassthroughDevice#inboundLock() inbound lock} (so the state cannot change under the access), reads the
 * state, asks the policy, and does:
 * <ul>
 *   <li>{@link Decision#FORWARD}: performs the access through the device's {@link P2pTarget}; result
 *       {@link MemTxResult#P2P_FORWARDED}. A forward to a state that does not accept inbound MMIO (a policy bug)
 *       or that the target refuses is master-aborted instead: {@code ERROR|P2P_FAILED}, counted as
 *       {@code ERRORS} and {@code FAILED}. So is an access whose policy threw or returned null (policy bugs
 *       never reach the initiator as exceptions).</li>
 *   <li>{@link Decision#FAIL}: master abort, reads all-ones, writes dropped; {@link MemTxResult#P2P_FAILED}.</li>
 *   <li>{@link Decision#QUEUE} (posted writes): the write is held in the target's queue and replayed later;
 *       {@link MemTxResult#P2P_QUEUED}. If the target accepts and nothing is held for it, the write is simply
 *       forwarded. QUEUE for a read is a policy bug: {@code ERROR|P2P_FAILED}.</li>
 *   <li>{@link Decision#ABORT_MIGRATION}: the engine asks {@link MigrationControl#requestAbort} once for the
 *       access (counted in {@code ABORTS}), then completes the access once the target accepts: a write is held
 *       in the queue like a QUEUE ({@code P2P_ABORT_MIGRATION|P2P_QUEUED}); a read waits for the target to accept
 *       and is then forwarded ({@code P2P_ABORT_MIGRATION|P2P_FORWARDED}).</li>
 * </ul>
 *
 * <p><b>Queue, ordering and loss.</b> Each target has one bounded jctools {@link MpscArrayQueue} of
 * {@link QueuedWrite}s ({@link Settings#queueCapacity()} writes at most), filled by any number of accessing
 * threads. Held writes are replayed exactly once, in queue order, when the device's state changes to one that
 * accepts inbound MMIO: the replay runs inside the transition ({@link StateListener}), before any access waiting
 * for the device gets in. Until then no access overtakes a held write to the same target: whatever the policy
 * decided, a later write that would be forwarded is queued behind, and a later read waits for the replay. When
 * the queue is full, the engine escalates to ABORT_MIGRATION and the write waits for room; it is never dropped
 * while it waits. A waiting access (a read for the target to accept, a write for room) waits at most
 * {@link Settings#maxWait()}; then it is master-aborted with {@code ERROR|P2P_FAILED} (plus
 * {@code P2P_ABORT_MIGRATION} if an abort was asked), counted in {@code ERRORS} and {@code FAILED}, so the
 * initiator always gets a defined result. A held write is never discarded: if its replay fails (the target
 * throws), it and the writes behind it stay held, in order, for the next time the device accepts (or
 * {@link #replay}). For migration, {@link #heldWrites} copies a target's held writes for the stream,
 * {@link #confirmCarried} forgets those the destination has taken over, and {@link #importHeld} hands the
 * destination's engine the writes the stream carried, ahead of any queued there.
 *
 * <p><b>Observability.</b> {@link #counters()} per (initiator, target). A master abort is logged at WARN once per
 * (initiator, BAR); a full queue once per target; registering a device without the P2P flag logs one WARN.
 *
 * <p>Transitions of registered devices may be made by anyone, directly on the {@link PassthroughDevice}; the
 * engine follows them through its listener. A {@link MigrationControl} must not transition devices on the
 * thread that calls it (the accessing thread), only ask for it: the engine calls it without holding any lock, and
 * a waiting access waits for another thread to make the target accept.
 *
 * <p><b>Note:</b> thread-safe. {@link #handle} runs on the accessing thread, concurrently; counters are
 * {@link LongAdder}s and targets a concurrent map; {@link #register}, {@link #unregister} and {@link #setPhase}
 * may run at any time, and an access sees either the old or the new value.
 */
public final class PolicyEngine implements P2pHandler {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);
    private static final PolicyCounters.Counter[] COUNTERS = PolicyCounters.Counter.values();
    private static final int FAULTS = PolicyCounters.Counter.FAULTS.ordinal();
    private static final int FORWARDED = PolicyCounters.Counter.FORWARDED.ordinal();
    private static final int FAILED = PolicyCounters.Counter.FAILED.ordinal();
    private static final int QUEUED = PolicyCounters.Counter.QUEUED.ordinal();
    private static final int REPLAYED = PolicyCounters.Counter.REPLAYED.ordinal();
    private static final int CARRIED = PolicyCounters.Counter.CARRIED.ordinal();
    private static final int ABORTS = PolicyCounters.Counter.ABORTS.ordinal();
    private static final int ERRORS = PolicyCounters.Counter.ERRORS.ordinal();

    /**
     * How much the engine holds and how long an access waits.
     *
     * @param queueCapacity the most writes held per target, at least 1
     * @param maxWait       the longest an access waits (for the target to accept, or for room in its queue)
     *                      before it gets its defined failure; positive
     */
    public record Settings(int queueCapacity, Duration maxWait) {
        /** 4,096 writes per target, 5 seconds. */
        public static final Settings DEFAULT = new Settings(4096, Duration.ofSeconds(5));

        /** @throws IllegalArgumentException naming the value if the capacity or the wait is out of range */
        public Settings {
            Objects.requireNonNull(maxWait, "max wait");
            if (queueCapacity < 1 || queueCapacity > 1 << 24) {
                throw new IllegalArgumentException("queue capacity " + queueCapacity + ", expected 1 to " + (1 << 24));
            }
            if (maxWait.isNegative() || maxWait.isZero()) {
                throw new IllegalArgumentException("max wait " + maxWait + ", expected a positive duration");
            }
        }
    }

    private final P2pPolicy policy;
    private final MigrationControl migration;
    private final Settings settings;
    private final long maxWaitNanos;
    private final Map<PciAddress, Target> targets = new ConcurrentHashMap<>();
    private final Map<String, Map<PciAddress, LongAdder[]>> counters = new ConcurrentHashMap<>();
    private final Map<String, Set<PassthroughBar>> warned = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private volatile MigrationPhase phase = MigrationPhase.NONE;

    /**
     * An engine deciding with {@code policy}, aborting migrations through {@code migration}, with
     * {@link Settings#DEFAULT}, in phase {@link MigrationPhase#NONE}, with no device registered.
     */
    public PolicyEngine(P2pPolicy policy, MigrationControl migration) {
        this(policy, migration, Settings.DEFAULT);
    }

    /** As {@link #PolicyEngine(P2pPolicy, MigrationControl)}, with {@code settings}. */
    public PolicyEngine(P2pPolicy policy, MigrationControl migration, Settings settings) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.migration = Objects.requireNonNull(migration, "migration control");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.maxWaitNanos = settings.maxWait().toNanos();
    }

    /** The policy. */
    public P2pPolicy policy() {
        return policy;
    }

    /** The queue capacity and the longest wait. */
    public Settings settings() {
        return settings;
    }

    /** The migration phase handed to the policy. */
    public MigrationPhase phase() {
        return phase;
    }

    /** Sets the migration phase handed to the policy from now on. */
    public void setPhase(MigrationPhase phase) {
        this.phase = Objects.requireNonNull(phase, "migration phase");
    }

    /**
     * Registers {@code device}, whose BARs are reached through {@code target}, and follows its transitions. Logs
     * one WARN if the device lacks the P2P migration states.
     *
     * @throws IllegalArgumentException naming the address if a device with it is already registered
     */
    public void register(PassthroughDevice device, P2pTarget target) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(target, "P2P target of " + device.address());
        Target t = new Target(device, target);
        // Listen before accesses can find the target, so that no transition between the two misses a replay.
        device.addStateListener(t);
        if (targets.putIfAbsent(device.address(), t) != null) {
            device.removeStateListener(t);
            throw new IllegalArgumentException("device " + device.address()
                    + " is already registered with the policy engine");
        }
        if (!t.supportsP2p) {
            LOG.warn("device {} lacks P2P migration states: its migration flags are {} (states {}), so it cannot "
                    + "accept P2P accesses once another device has stopped it; policy '{}' decides what happens "
                    + "to them", device.address(), device.flags(), device.flags().supportedStates(), policy.name());
        }
    }

    /**
     * Unregisters the device at {@code address}; later accesses to it are master-aborted, and so are those that
     * were waiting for it or had just found it.
     *
     * @return whether it was registered
     * @throws IllegalStateException naming the device and the count if writes to it are still held: replay or
     *                               carry them first (they are never discarded)
     */
    public boolean unregister(PciAddress address) {
        Target t = targets.get(address);
        if (t == null) {
            return false;
        }
        int[] held = new int[1];
        t.device.exclusive(() -> {
            held[0] = t.held.get();
            if (held[0] == 0) {
                targets.remove(address);
                t.device.removeStateListener(t);
                t.registered = false;
                t.signal();
            }
        });
        if (held[0] != 0) {
            throw new IllegalStateException("device " + address + " has " + held[0]
                    + " held P2P writes; replay or carry them before unregistering it");
        }
        return true;
    }

    @Override
    public int handle(P2pAccess access) {
        PassthroughBar bar = access.target();
        LongAdder[] count = counters(access.initiator().id(), bar.device());
        count[FAULTS].increment();
        Target t = targets.get(bar.device());
        if (t == null) {
            return fail(access, count, "the target device is not registered with the policy engine");
        }
        int abortBit = 0;
        long deadline = 0;
        while (true) {
            long seen = t.version();
            Verdict verdict = t.attempt(access, count);
            if (verdict.abortReason != null && abortBit == 0) {
                abortBit = MemTxResult.P2P_ABORT_MIGRATION;
                count[ABORTS].increment();
                migration.requestAbort("policy '" + policy.name() + "': " + verdict.abortReason);
            }
            if (verdict.result >= 0) {
                return verdict.result | abortBit;
            }
            if (deadline == 0) {
                deadline = System.nanoTime() + maxWaitNanos;
            }
            if (!t.await(seen, deadline)) {
                count[ERRORS].increment();
                return abortBit | MemTxResult.ERROR | fail(access, count, "waited " + settings.maxWait().toMillis()
                        + " ms: " + verdict.waitReason);
            }
        }
    }

    /**
     * What one attempt at an access came to: a result (>= 0) or a reason to wait (result -1), and a reason to ask
     * for an abort (null if none), which the engine does after the attempt has released the device's inbound
     * lock. Not a migration-plan step ({@code migration.plan.Step}): one decision carried out, or deferred.
     */
    private record Verdict(int result, String waitReason, String abortReason) {
        static Verdict done(int result) {
            return new Verdict(result, null, null);
        }

        static Verdict waitFor(String why, String abortReason) {
            return new Verdict(-1, why, abortReason);
        }
    }

    /**
     * Replays the writes held for {@code device} now, if its state accepts inbound MMIO (normally the engine does
     * this by itself when the state changes; this retries after a failed replay).
     *
     * @return the number replayed
     * @throws IllegalArgumentException naming the address if it is not registered
     */
    public int replay(PciAddress device) {
        Target t = target(device);
        int[] n = new int[1];
        t.device.exclusive(() -> {
            if (t.device.state().acceptsInboundMmio()) {
                n[0] = t.replayHeld();
            }
            t.signal();
        });
        return n[0];
    }

    /** The number of writes held for {@code device} (queued, not yet replayed or carried). */
    public int heldCount(PciAddress device) {
        return target(device).held.get();
    }

    /**
     * A copy of the writes held for {@code device}, in replay order; they stay held. For the migration stream.
     *
     * @throws IllegalArgumentException naming the address if it is not registered
     */
    public List<QueuedWrite> heldWrites(PciAddress device) {
        Target t = target(device);
        List<QueuedWrite> copy = new ArrayList<>();
        t.device.exclusive(() -> {
            t.drainQueue();
            copy.addAll(t.front);
        });
        return copy;
    }

    /**
     * Forgets the first {@code count} writes held for {@code device}, because the destination has taken them over
     * (the migration stream carried them and the migration completed). Counted as {@code CARRIED}.
     *
     * @throws IllegalArgumentException naming the values if the device is not registered or fewer writes are held
     */
    public void confirmCarried(PciAddress device, int count) {
        Target t = target(device);
        RuntimeException[] error = new RuntimeException[1];
        t.device.exclusive(() -> {
            t.drainQueue();
            if (count < 0 || count > t.front.size()) {
                error[0] = new IllegalArgumentException("cannot confirm " + count + " carried writes to " + device
                        + ": " + t.front.size() + " are held");
                return;
            }
            for (int i = 0; i < count; i++) {
                QueuedWrite w = t.front.pollFirst();
                t.held.decrementAndGet();
                counters(w.initiator(), device)[CARRIED].increment();
            }
            t.signal();
        });
        if (error[0] != null) {
            throw error[0];
        }
    }

    /**
     * Hands this (destination) engine writes a migration stream carried: per target, they are held ahead of any
     * write queued here, in the order given, and replayed when the target accepts (at once if it accepts now).
     * Counted as {@code QUEUED} for their initiators. The capacity does not limit them (they are already
     * accepted); while they fill the queue, new writes wait as for a full queue.
     *
     * @throws IllegalArgumentException naming the write if its target is not registered, lacks its BAR, or the
     *                                  write does not fit inside that BAR; nothing is then imported (the engine
     *                                  checks this itself, so a target never sees a write outside its BARs)
     */
    public void importHeld(List<QueuedWrite> writes) {
        Map<PciAddress, List<QueuedWrite>> byTarget = new LinkedHashMap<>();
        for (QueuedWrite w : writes) {
            Target target = targets.get(w.device());
            if (target == null) {
                throw new IllegalArgumentException("carried write " + w + ": device " + w.device()
                        + " is not registered with the policy engine; nothing imported");
            }
            PciBar bar = target.device.bar(w.bar()).orElseThrow(() -> new IllegalArgumentException("carried write "
                    + w + ": " + w.device() + " has no BAR " + w.bar() + " (it has " + target.device.bars()
                    + "); nothing imported"));
            if (w.offset() > bar.size() - w.length()) {
                throw new IllegalArgumentException("carried write " + w + ": ends past its " + bar + " of "
                        + w.device() + ", expected offset + length at most " + Size.hex(bar.size())
                        + "; nothing imported");
            }
            byTarget.computeIfAbsent(w.device(), k -> new ArrayList<>()).add(w);
        }
        byTarget.forEach((device, list) -> {
            Target t = targets.get(device);
            t.device.exclusive(() -> {
                t.drainQueue();
                for (int i = list.size() - 1; i >= 0; i--) {
                    t.front.addFirst(list.get(i));
                }
                t.held.addAndGet(list.size());
                for (QueuedWrite w : list) {
                    counters(w.initiator(), device)[QUEUED].increment();
                }
                if (t.device.state().acceptsInboundMmio()) {
                    t.replayHeld();
                }
                t.signal();
            });
        });
    }

    private Target target(PciAddress device) {
        Target t = targets.get(Objects.requireNonNull(device, "device"));
        if (t == null) {
            throw new IllegalArgumentException("device " + device + " is not registered with the policy engine");
        }
        return t;
    }

    /** One registered device: its queue, and its listener that replays. */
    private final class Target implements StateListener {
        final PassthroughDevice device;
        final P2pTarget port;
        final boolean supportsP2p;
        /**
         * Cleared by {@link #unregister} on the exclusive side, read on the shared side: an access that found the
         * target just before it was unregistered must not queue a write nobody would replay.
         */
        boolean registered = true;
        /** Filled by accessing threads under the shared inbound lock; drained only under the exclusive side. */
        final MpscArrayQueue<QueuedWrite> queue;
        /** Held writes taken out of the queue (or imported), ahead of it; only under the exclusive side. */
        final ArrayDeque<QueuedWrite> front = new ArrayDeque<>();
        /** Writes held: reserved before an offer, released when replayed or carried. */
        final AtomicInteger held = new AtomicInteger();
        private final Object changed = new Object();
        private long version;
        private volatile boolean fullWarned;

        Target(PassthroughDevice device, P2pTarget port) {
            this.device = device;
            this.port = port;
            this.supportsP2p = device.flags().has(MigrationFlag.P2P);
            this.queue = new MpscArrayQueue<>(Math.max(2, settings.queueCapacity()));
        }

        /** One try at the access under the shared inbound lock. */
        Verdict attempt(P2pAccess access, LongAdder[] count) {
            Lock lock = device.inboundLock();
            lock.lock();
            try {
                if (!registered) {
                    return Verdict.done(fail(access, count,
                            "the target device is not registered with the policy engine"));
                }
                MigrationState state = device.state();
                P2pRequest request = new P2pRequest(access, state, supportsP2p, phase);
                Decision decision;
                try {
                    decision = policy.decide(request);
                } catch (RuntimeException e) {
                    // A policy from a third-party jar must not throw into the device model's DMA path.
                    count[ERRORS].increment();
                    return Verdict.done(MemTxResult.ERROR | fail(access, count, "policy '" + policy.name() + "' threw "
                            + e + "; not forwarded"));
                }
                if (decision == null) {
                    count[ERRORS].increment();
                    return Verdict.done(MemTxResult.ERROR | fail(access, count, "policy '" + policy.name()
                            + "' returned no decision; not forwarded"));
                }
                boolean free = request.targetAccepts() && held.get() == 0;
                switch (decision) {
                    case FORWARD:
                        if (!request.targetAccepts()) {
                            count[ERRORS].increment();
                            return Verdict.done(MemTxResult.ERROR | fail(access, count, "policy '" + policy.name()
                                    + "' decided FORWARD but the target is " + state
                                    + ", which does not accept inbound MMIO; not forwarded"));
                        }
                        return free ? Verdict.done(forward(access, count)) : behindHeld(request, count, null);
                    case FAIL:
                        return Verdict.done(fail(access, count, "policy '" + policy.name() + "' decided FAIL (target "
                                + state + ")"));
                    case QUEUE:
                        if (!access.write()) {
                            count[ERRORS].increment();
                            return Verdict.done(MemTxResult.ERROR | fail(access, count, "policy '" + policy.name()
                                    + "' decided QUEUE for a read; only posted writes can be queued"));
                        }
                        return free ? Verdict.done(forward(access, count)) : behindHeld(request, count, null);
                    case ABORT_MIGRATION:
                    default:
                        String abort = request + ": decided ABORT_MIGRATION";
                        return free ? new Verdict(forward(access, count), null, abort)
                                : behindHeld(request, count, abort);
                }
            } finally {
                lock.unlock();
            }
        }

        /** The target does not accept, or writes are held for it: queue a write, make a read wait. */
        private Verdict behindHeld(P2pRequest request, LongAdder[] count, String abortReason) {
            P2pAccess access = request.access();
            String target = device.address() + " (" + request.targetState() + ", " + held.get() + " writes held)";
            if (!access.write()) {
                return Verdict.waitFor("the read waited for " + target + " to accept it", abortReason);
            }
            if (!reserve()) {
                if (!fullWarned) {
                    fullWarned = true;
                    LOG.warn("P2P write queue of {} is full ({} writes): asking to abort the migration; writes wait "
                            + "for room (logged once per device)", device.address(), settings.queueCapacity());
                }
                return Verdict.waitFor("the write waited for room in the full queue of " + target,
                        abortReason != null ? abortReason : request + ": the queue of " + settings.queueCapacity()
                                + " writes is full");
            }
            QueuedWrite w = new QueuedWrite(sequence.getAndIncrement(), access.initiator().id(), device.address(),
                    access.target().bar(), access.barOffset(), Arrays.copyOf(access.data(), access.length()));
            if (!queue.offer(w)) {
                throw new IllegalStateException("P2P queue of " + device.address() + " refused a reserved slot");
            }
            count[QUEUED].increment();
            return new Verdict(MemTxResult.P2P_QUEUED, null, abortReason);
        }

        private boolean reserve() {
            while (true) {
                int h = held.get();
                if (h >= settings.queueCapacity()) {
                    return false;
                }
                if (held.compareAndSet(h, h + 1)) {
                    return true;
                }
            }
        }

        private int forward(P2pAccess a, LongAdder[] count) {
            try {
                if (a.write()) {
                    port.write(a.target().bar(), a.barOffset(), a.data(), a.length());
                } else {
                    port.read(a.target().bar(), a.barOffset(), a.data(), a.length());
                }
            } catch (RuntimeException e) {
                count[ERRORS].increment();
                return MemTxResult.ERROR | fail(a, count, "the forward failed (" + e.getMessage() + ")");
            }
            count[FORWARDED].increment();
            return MemTxResult.P2P_FORWARDED;
        }

        @Override
        public void stateChanged(PassthroughDevice d, MigrationState before, MigrationState now) {
            if (now.acceptsInboundMmio()) {
                replayHeld();
            }
            signal();
        }

        /** Moves the queue's writes behind {@link #front}; exclusive side held. */
        void drainQueue() {
            QueuedWrite w;
            while ((w = queue.poll()) != null) {
                front.addLast(w);
            }
        }

        /** Replays every held write in order until one fails; exclusive side held, state accepts. */
        int replayHeld() {
            drainQueue();
            int n = 0;
            while (!front.isEmpty()) {
                QueuedWrite w = front.peekFirst();
                try {
                    port.write(w.bar(), w.offset(), w.data(), w.length());
                } catch (RuntimeException e) {
                    LOG.warn("replaying held write {} to {} failed; it and the {} writes behind it stay held: {}",
                            w, device, front.size() - 1, e.toString());
                    break;
                }
                front.pollFirst();
                held.decrementAndGet();
                counters(w.initiator(), device.address())[REPLAYED].increment();
                n++;
            }
            if (front.isEmpty()) {
                fullWarned = false;
            }
            return n;
        }

        long version() {
            synchronized (changed) {
                return version;
            }
        }

        void signal() {
            synchronized (changed) {
                version++;
                changed.notifyAll();
            }
        }

        /** Waits until {@link #signal} after {@code seen}; false at the deadline (or if interrupted). */
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
            return "policy engine (" + policy.name() + ") replay of " + device.address();
        }
    }

    private int fail(P2pAccess access, LongAdder[] count, String why) {
        if (!access.write()) {
            Arrays.fill(access.data(), 0, access.length(), (byte) 0xff);
        }
        count[FAILED].increment();
        if (warned.computeIfAbsent(access.initiator().id(), k -> ConcurrentHashMap.newKeySet()).add(access.target())) {
            LOG.warn("P2P access master-aborted: {}: {} (reads return all-ones, writes are dropped; logged once per "
                    + "initiator and BAR)", access, why);
        }
        return MemTxResult.P2P_FAILED;
    }

    private LongAdder[] counters(String initiator, PciAddress target) {
        Map<PciAddress, LongAdder[]> byTarget = counters.computeIfAbsent(initiator, k -> new ConcurrentHashMap<>());
        LongAdder[] c = byTarget.get(target);
        if (c == null) {
            c = byTarget.computeIfAbsent(target, k -> {
                LongAdder[] fresh = new LongAdder[COUNTERS.length];
                for (int i = 0; i < fresh.length; i++) {
                    fresh[i] = new LongAdder();
                }
                return fresh;
            });
        }
        return c;
    }

    /** A snapshot of the counters. */
    public PolicyCounters counters() {
        Map<PolicyCounters.Key, Map<PolicyCounters.Counter, Long>> rows = new HashMap<>();
        counters.forEach((initiator, byTarget) -> byTarget.forEach((target, c) -> {
            Map<PolicyCounters.Counter, Long> row = new EnumMap<>(PolicyCounters.Counter.class);
            for (PolicyCounters.Counter k : COUNTERS) {
                row.put(k, c[k.ordinal()].sum());
            }
            rows.put(new PolicyCounters.Key(initiator, target), row);
        }));
        return new PolicyCounters(rows);
    }

    @Override
    public String toString() {
        return "policy engine (" + policy.name() + ", phase " + phase + ", " + targets.size() + " devices)";
    }
}
