package dev.mmiomediator.policy;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.dma.P2pHandler;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.StateListener;
import org.jctools.queues.MpscArrayQueue;

import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;

import static dev.mmiomediator.policy.PolicyCounters.Counter.ABORTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ERRORS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.QUEUED;

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
 * <p><b>Unregistered devices.</b> An access to a BAR whose device is not registered (never, or no longer) is
 * master-aborted: {@link MemTxResult#P2P_FAILED}, counted in {@code FAULTS} and {@code FAILED} for its
 * (initiator, device), and also in {@link #unregisteredAccesses()}, so that a device declared as passthrough
 * but never registered shows in a number, not only in a log line. {@code vm.MediatedVm} declares and registers
 * every device together, and refuses to start over a P2P BAR whose device it does not register.
 *
 * <p><b>Observability.</b> {@link #counters()} per (initiator, target). A master abort is logged at INFO once per
 * (initiator, BAR); a full queue at WARN once per target; registering a device without the P2P flag logs one INFO
 * line (the migration plan states it). Lines name the side a caller named with {@link EngineLog}.
 *
 * <p>Transitions of registered devices may be made by anyone, directly on the {@link PassthroughDevice}; the
 * engine follows them through its listener. A {@link MigrationControl} must not transition devices on the
 * thread that calls it (the accessing thread), only ask for it: the engine calls it without holding any lock, and
 * a waiting access waits for another thread to make the target accept.
 *
 * <p><b>Note:</b> thread-safe. {@link #handle} runs on the accessing thread, concurrently; targets are a
 * concurrent map; {@link #register}, {@link #unregister} and {@link #setPhase} may run at any time, and an access
 * sees either the old or the new value. {@link #counters()} may be read at any time, from any thread, and is exact
 * for the accesses completed before it.
 *
 * <p>IMPLEMENTATION NOTES: this class is the decision loop ({@link #handle}: attempt under the shared inbound
 * lock, ask for an abort outside it, wait, retry). Each target's held writes, their replay and the waiting for
 * the target are a {@code HeldWrites}; the counters a {@code CounterTable}; the log lines {@code EngineWarnings}.
 * A port's accesses (those with a {@link P2pAccess#handlerSlot() handler slot}) take what the engine looked up
 * for the port's target from a {@code PortCache} in that slot: the target, the port's own counter cell (plain
 * single-writer counts, no atomic read-modify-write) and the last request; the cached target is checked under the
 * inbound lock the access takes anyway ({@code HeldWrites.isOpen}), so an unregistered or re-registered device is
 * never served from it. The per-access cost of a forwarded or failed access is then the lock (two CAS), two volatile
 * reads (state, phase) and the policy.
 */
public final class PolicyEngine implements P2pHandler {
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
    private final Map<PciAddress, HeldWrites> targets = new ConcurrentHashMap<>();
    private final CounterTable counters = new CounterTable();
    private final EngineWarnings warnings = new EngineWarnings();
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder unregistered = new LongAdder();
    private volatile MigrationPhase phase = MigrationPhase.NONE;
    private volatile TraceListener trace;

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
        TraceListener l = trace;
        if (l != null) {
            l.phaseChanged(phase.name());
        }
    }

    /**
     * Reports every P2P access (with the state the policy saw, its decision and the result), every abort request,
     * every phase set and every replay to {@code listener} from now on; null for none (the default). With none, an
     * access costs one field read more. What the listener throws is ignored ({@link TraceListener#guarded}).
     */
    public void setTraceListener(TraceListener listener) {
        this.trace = listener == null ? null : TraceListener.guarded(listener);
    }

    /** The trace listener, or null. */
    TraceListener traceListener() {
        return trace;
    }

    /**
     * Registers {@code device}, whose BARs are reached through {@code target}, and follows its transitions. Logs
     * one INFO line if the device lacks the P2P migration states.
     *
     * @throws IllegalArgumentException naming the address if a device with it is already registered
     */
    public void register(PassthroughDevice device, P2pTarget target) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(target, "P2P target of " + device.address());
        HeldWrites t = new HeldWrites(device, target, settings.queueCapacity(), counters, warnings,
                "policy engine (" + policy.name() + ")", this::traceListener);
        // Listen before accesses can find the target, so that no transition between the two misses a replay.
        device.addStateListener(t);
        if (targets.putIfAbsent(device.address(), t) != null) {
            device.removeStateListener(t);
            throw new IllegalArgumentException("device " + device.address()
                    + " is already registered with the policy engine");
        }
        warnings.registered(device, policy);
        if (!t.supportsP2p()) {
            warnings.lacksP2p(device, policy);
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
        HeldWrites t = targets.get(address);
        if (t == null) {
            return false;
        }
        t.device().exclusive(() -> {
            int held = t.held();
            if (held != 0) {
                throw new IllegalStateException("device " + address + " has " + held
                        + " held P2P writes; replay or carry them before unregistering it");
            }
            targets.remove(address, t); // not a registration made after this one began
            t.device().removeStateListener(t);
            t.close();
        });
        return true;
    }

    /** Whether a device is registered at {@code address}. */
    public boolean isRegistered(PciAddress address) {
        return targets.containsKey(Objects.requireNonNull(address, "device"));
    }

    /**
     * The number of accesses that found their target device not registered (when they arrived) and were
     * master-aborted for it; see "Unregistered devices" above. An access that was waiting for a device when it was
     * unregistered is not among them.
     */
    public long unregisteredAccesses() {
        return unregistered.sum();
    }

    @Override
    public int handle(P2pAccess access) {
        TraceListener l = trace;
        if (l == null) {
            return handle(access, null);
        }
        Seen noted = new Seen();
        int result = handle(access, noted);
        l.p2pAccess(access, noted.state, noted.decision == null ? null : noted.decision.name(), result);
        return result;
    }

    /** What the last attempt at a traced access saw: the target's state and the policy's decision. */
    private static final class Seen {
        MigrationState state;
        Decision decision;
    }

    /**
     * The route of {@code access}: from the port's cache in the access's {@linkplain P2pAccess#handlerSlot() slot}
     * (made there on the port's first access to the device), or, for an access without a slot, a new one that
     * counts in the row itself. A new route has no target yet: the access looks it up.
     */
    private PortCache.Route route(P2pAccess access, PciAddress device) {
        if (!access.hasHandlerSlot()) {
            return new PortCache.Route(device, counters.row(access.initiator().id(), device), null);
        }
        PortCache cache;
        if (access.handlerSlot() instanceof PortCache c && c.engine == this) {
            cache = c;
            PortCache.Route r = c.route(device);
            if (r != null) {
                return r;
            }
        } else {
            cache = new PortCache(this);
            access.handlerSlot(cache);
        }
        CounterTable.Row row = counters.row(access.initiator().id(), device);
        return cache.add(new PortCache.Route(device, row.cell(cache), cache));
    }

    /** {@link #handle(P2pAccess)}, noting what it saw in {@code noted} if that is not null. */
    private int handle(P2pAccess access, Seen noted) {
        PciAddress device = access.bar().device();
        PortCache.Route route = route(access, device);
        try {
            return carryOut(access, route, noted);
        } finally {
            // the route's cache owns the port's counter cells: it must outlive the counting (CounterTable.Cell)
            Reference.reachabilityFence(route);
        }
    }

    /** The decision loop: attempt under the shared inbound lock, ask for an abort outside it, wait, retry. */
    private int carryOut(P2pAccess access, PortCache.Route route, Seen noted) {
        route.counts.increment(FAULTS);
        HeldWrites t = route.target;
        // a target cached from an earlier access may have been unregistered since: then look once more
        boolean cached = route.cache != null && t != null;
        if (t == null && (t = lookUp(route)) == null) {
            return unregisteredFail(access, route);
        }
        int abortBit = 0;
        long deadline = 0;
        while (true) {
            long seen = t.version();
            Verdict verdict = attempt(t, access, route, noted);
            if (verdict == Verdict.CLOSED) {
                if (cached) {
                    cached = false;
                    if ((t = lookUp(route)) == null) {
                        return unregisteredFail(access, route);
                    }
                    continue;
                }
                return abortBit | fail(access, route, "the target device is not registered with the policy engine");
            }
            if (verdict.abortReason != null && abortBit == 0) {
                abortBit = MemTxResult.P2P_ABORT_MIGRATION;
                route.counts.increment(ABORTS);
                String reason = "policy '" + policy.name() + "': " + verdict.abortReason;
                TraceListener l = noted == null ? null : trace;
                if (l != null) {
                    l.abortRequested(reason); // before the request, which may cancel the migration at once
                }
                migration.requestAbort(reason);
            }
            if (verdict.result != Verdict.WAIT) {
                return verdict.result | abortBit;
            }
            cached = false;
            if (deadline == 0) {
                deadline = System.nanoTime() + maxWaitNanos;
            }
            if (!t.await(seen, deadline)) {
                route.counts.increment(ERRORS);
                return abortBit | MemTxResult.ERROR | fail(access, route, "waited " + settings.maxWait().toMillis()
                        + " ms: " + verdict.waitReason);
            }
        }
    }

    /** The device's registered target now, remembered in {@code route}; null (and forgotten) if none. */
    private HeldWrites lookUp(PortCache.Route route) {
        HeldWrites t = targets.get(route.device);
        route.target = t;
        return t;
    }

    private int unregisteredFail(P2pAccess access, PortCache.Route route) {
        unregistered.increment();
        return fail(access, route, "the target device is not registered with the policy engine");
    }

    /**
     * What one attempt at an access came to: a result ({@link MemTxResult} bits) or a reason to wait (result
     * {@link #WAIT}), and a reason to ask for an abort (null if none), which the engine does after the attempt has
     * released the device's inbound lock. Not a migration-plan step ({@code migration.plan.Step}): one decision
     * carried out, or deferred.
     */
    private record Verdict(int result, String waitReason, String abortReason) {
        /** No result yet: never a {@link MemTxResult}, whose bits are never all set. */
        static final int WAIT = -1;

        /** The verdicts of the decisions carried out at once, made once: an access that forwards or fails allocates none. */
        private static final Verdict FORWARDED = new Verdict(MemTxResult.P2P_FORWARDED, null, null);
        private static final Verdict FAILED = new Verdict(MemTxResult.P2P_FAILED, null, null);
        /** The target was unregistered (closed) before the attempt took its lock; nothing was done or counted. */
        private static final Verdict CLOSED = new Verdict(WAIT, "the target device was unregistered", null);

        static Verdict done(int result) {
            return result == MemTxResult.P2P_FORWARDED ? FORWARDED : result == MemTxResult.P2P_FAILED ? FAILED
                    : new Verdict(result, null, null);
        }

        static Verdict waitFor(String why, String abortReason) {
            return new Verdict(WAIT, why, abortReason);
        }
    }

    /** One try at the access under the target's shared inbound lock. */
    private Verdict attempt(HeldWrites t, P2pAccess access, PortCache.Route route, Seen noted) {
        Lock lock = t.inboundLock();
        lock.lock();
        try {
            if (!t.isOpen()) {
                return Verdict.CLOSED;
            }
            CounterTable.Counts count = route.counts;
            MigrationState state = t.device().state();
            P2pRequest request = request(route, access, state, t.supportsP2p(), phase);
            Decision decision;
            try {
                decision = policy.decide(request);
            } catch (RuntimeException e) {
                // A policy from a third-party jar must not throw into the device model's DMA path.
                count.increment(ERRORS);
                return Verdict.done(MemTxResult.ERROR | fail(access, route, "policy '" + policy.name() + "' threw "
                        + e + "; not forwarded"));
            }
            if (decision == null) {
                count.increment(ERRORS);
                return Verdict.done(MemTxResult.ERROR | fail(access, route, "policy '" + policy.name()
                        + "' returned no decision; not forwarded"));
            }
            if (noted != null) {
                noted.state = state;
                noted.decision = decision;
            }
            boolean accepts = state.acceptsInboundMmio();
            switch (decision) {
                case FORWARD:
                    if (!accepts) {
                        count.increment(ERRORS);
                        return Verdict.done(MemTxResult.ERROR | fail(access, route, "policy '" + policy.name()
                                + "' decided FORWARD but the target is " + state
                                + ", which does not accept inbound MMIO; not forwarded"));
                    }
                    return t.held() == 0 ? Verdict.done(forward(t, access, route))
                            : behindHeld(t, request, route, null);
                case FAIL:
                    return Verdict.done(failDecided(access, route, state));
                case QUEUE:
                    if (!access.write()) {
                        count.increment(ERRORS);
                        return Verdict.done(MemTxResult.ERROR | fail(access, route, "policy '" + policy.name()
                                + "' decided QUEUE for a read; only posted writes can be queued"));
                    }
                    return accepts && t.held() == 0 ? Verdict.done(forward(t, access, route))
                            : behindHeld(t, request, route, null);
                case ABORT_MIGRATION:
                default:
                    String abort = request + ": decided ABORT_MIGRATION";
                    return accepts && t.held() == 0 ? new Verdict(forward(t, access, route), null, abort)
                            : behindHeld(t, request, route, abort);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The request about {@code access}: the one last asked about on {@code route} if it is about the same access
     * object in the same situation, else a new one, kept there. A port hands the engine one reused access for all
     * its P2P pieces (valid during the call), and its route lives in the port's cache, so a burst of accesses by one
     * port to one target allocates no request; the reused request is immutable, and a policy reads it during
     * {@link P2pPolicy#decide} only.
     */
    private static P2pRequest request(PortCache.Route route, P2pAccess access, MigrationState state, boolean p2p,
                                      MigrationPhase phase) {
        P2pRequest last = route.request;
        if (last != null && last.access() == access && last.targetState() == state && last.targetSupportsP2p() == p2p
                && last.phase() == phase) {
            return last;
        }
        P2pRequest request = new P2pRequest(access, state, p2p, phase);
        route.request = request;
        return request;
    }

    /** The target does not accept, or writes are held for it: queue a write, make a read wait. */
    private Verdict behindHeld(HeldWrites t, P2pRequest request, PortCache.Route route, String abortReason) {
        P2pAccess access = request.access();
        String target = t.device().address() + " (" + request.targetState() + ", " + t.held() + " writes held)";
        if (!access.write()) {
            return Verdict.waitFor("the read waited for " + target + " to accept it", abortReason);
        }
        if (!t.reserve()) {
            warnings.queueFull(t, settings.queueCapacity());
            return Verdict.waitFor("the write waited for room in the full queue of " + target,
                    abortReason != null ? abortReason : request + ": the queue of " + settings.queueCapacity()
                            + " writes is full");
        }
        t.offer(new QueuedWrite(sequence.getAndIncrement(), access.initiator().id(), t.device().address(),
                access.bar().bar(), access.barOffset(), Arrays.copyOf(access.data(), access.length())));
        route.counts.increment(QUEUED);
        return new Verdict(MemTxResult.P2P_QUEUED, null, abortReason);
    }

    /** Performs the access on the target; a target that throws master-aborts it. */
    private int forward(HeldWrites t, P2pAccess a, PortCache.Route route) {
        try {
            if (a.write()) {
                t.port().write(a.bar().bar(), a.barOffset(), a.data(), a.length());
            } else {
                t.port().read(a.bar().bar(), a.barOffset(), a.data(), a.length());
            }
        } catch (RuntimeException e) {
            route.counts.increment(ERRORS);
            return MemTxResult.ERROR | fail(a, route, "the forward failed (" + e.getMessage() + ")");
        }
        route.counts.increment(FORWARDED);
        return MemTxResult.P2P_FORWARDED;
    }

    /** Master-aborts {@code access}: a read gets all-ones, a write is dropped. */
    private int fail(P2pAccess access, PortCache.Route route, String why) {
        abort(access, route.counts);
        if (route.firstMasterAbort(access, warnings)) {
            warnings.masterAbort(access, why);
        }
        return MemTxResult.P2P_FAILED;
    }

    /** {@link #fail} for the policy's FAIL decision, with the log line's reason made only when it is logged. */
    private int failDecided(P2pAccess access, PortCache.Route route, MigrationState state) {
        abort(access, route.counts);
        if (route.firstMasterAbort(access, warnings)) {
            warnings.masterAbort(access, "policy '" + policy.name() + "' decided FAIL (target " + state + ")");
        }
        return MemTxResult.P2P_FAILED;
    }

    private static void abort(P2pAccess access, CounterTable.Counts count) {
        if (!access.write()) {
            Arrays.fill(access.data(), 0, access.length(), (byte) 0xff);
        }
        count.increment(FAILED);
    }

    /**
     * Replays the writes held for {@code device} now, if its state accepts inbound MMIO (normally the engine does
     * this by itself when the state changes; this retries after a failed replay).
     *
     * @return the number replayed
     * @throws IllegalArgumentException naming the address if it is not registered
     */
    public int replay(PciAddress device) {
        HeldWrites t = target(device);
        return t.device().exclusive(() -> {
            int n = t.device().state().acceptsInboundMmio() ? t.replay() : 0;
            t.signal();
            return n;
        });
    }

    /** The number of writes held for {@code device} (queued, not yet replayed or carried). */
    public int heldCount(PciAddress device) {
        return target(device).held();
    }

    /**
     * A copy of the writes held for {@code device}, in replay order; they stay held. For the migration stream.
     *
     * @throws IllegalArgumentException naming the address if it is not registered
     */
    public List<QueuedWrite> heldWrites(PciAddress device) {
        HeldWrites t = target(device);
        return t.device().exclusive(t::copy);
    }

    /**
     * Forgets the first {@code count} writes held for {@code device}, because the destination has taken them over
     * (the migration stream carried them and the migration completed). Counted as {@code CARRIED}.
     *
     * @throws IllegalArgumentException naming the values if the device is not registered or fewer writes are held
     */
    public void confirmCarried(PciAddress device, int count) {
        HeldWrites t = target(device);
        t.device().exclusive(() -> t.confirmCarried(count));
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
        Map<HeldWrites, List<QueuedWrite>> byTarget = new LinkedHashMap<>();
        for (QueuedWrite w : writes) {
            HeldWrites target = targets.get(w.device());
            if (target == null) {
                throw new IllegalArgumentException("carried write " + w + ": device " + w.device()
                        + " is not registered with the policy engine; nothing imported");
            }
            PassthroughDevice device = target.device();
            PciBar bar = device.bar(w.bar()).orElseThrow(() -> new IllegalArgumentException("carried write "
                    + w + ": " + w.device() + " has no BAR " + w.bar() + " (it has " + device.bars()
                    + "); nothing imported"));
            if (w.offset() > bar.size() - w.length()) {
                throw new IllegalArgumentException("carried write " + w + ": ends past its " + bar + " of "
                        + w.device() + ", expected offset + length at most " + Size.hex(bar.size())
                        + "; nothing imported");
            }
            byTarget.computeIfAbsent(target, k -> new ArrayList<>()).add(w);
        }
        byTarget.forEach((t, carried) -> t.device().exclusive(() -> t.importAhead(carried)));
    }

    private HeldWrites target(PciAddress device) {
        HeldWrites t = targets.get(Objects.requireNonNull(device, "device"));
        if (t == null) {
            throw new IllegalArgumentException("device " + device + " is not registered with the policy engine");
        }
        return t;
    }

    /** A snapshot of the counters. */
    public PolicyCounters counters() {
        return counters.snapshot();
    }

    @Override
    public String toString() {
        return "policy engine (" + policy.name() + ", phase " + phase + ", " + targets.size() + " devices)";
    }
}
