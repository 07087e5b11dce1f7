package dev.mmiomediator.policy;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.dma.P2pHandler;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.vfio.MigrationFlag;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.vfio.PciAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Carries out a {@link P2pPolicy}'s decisions: the mediator's {@link P2pHandler}
 * ({@code mediator.setP2pHandler(engine)}).
 *
 * <p>Per access: the target is looked up among the {@link #register registered} devices by PCI address, its
 * state is read once ({@link PassthroughDevice#state()}), the policy decides, and the engine does:
 * <ul>
 *   <li>{@link Decision#FORWARD}: the access is performed through the device's {@link P2pTarget}; result
 *       {@link MemTxResult#P2P_FORWARDED}. If the state read does not accept inbound MMIO, the engine does not
 *       touch the device; if the target throws (the device stopped after the state was read), the engine
 *       gives up on it; in both cases the access is master-aborted with result
 *       {@code ERROR|P2P_FAILED}, counted as {@code ERRORS} and {@code FAILED}.</li>
 *   <li>{@link Decision#FAIL}: master abort, reads all-ones, writes dropped; result
 *       {@link MemTxResult#P2P_FAILED}.</li>
 *   <li>{@link Decision#ABORT_MIGRATION}: {@link MigrationControl#requestAbort} with a reason naming the access
 *       and the target state, then, <b>in this version</b>, master abort; result
 *       {@code P2P_ABORT_MIGRATION|P2P_FAILED}. Completing the access once the target accepts again, without
 *       loss, as DESIGN section 5 says, is the next slice's job (with the queue).</li>
 *   <li>{@link Decision#QUEUE}: <b>not built yet</b>; throws {@link UnsupportedOperationException} (nothing is
 *       counted but {@code FAULTS}). A policy that queues cannot be used with this version.</li>
 * </ul>
 * An access to a device that is not registered is master-aborted. Every master abort is logged at WARN once per
 * (initiator, BAR), never once per access; registering a device without the P2P flag logs one WARN.
 *
 * <p><b>Note:</b> thread-safe. {@link #handle} runs on the accessing thread, concurrently, without locks on the
 * common path (concurrent maps, {@link LongAdder} counters); {@link #register}, {@link #unregister} and
 * {@link #setPhase} may run at any time, and an access sees either the old or the new value.
 */
public final class PolicyEngine implements P2pHandler {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);
    private static final PolicyCounters.Counter[] COUNTERS = PolicyCounters.Counter.values();

    private record Registered(PassthroughDevice device, P2pTarget target, boolean supportsP2p) {
    }

    private final P2pPolicy policy;
    private final MigrationControl migration;
    private final Map<PciAddress, Registered> targets = new ConcurrentHashMap<>();
    private final Map<String, Map<PciAddress, LongAdder[]>> counters = new ConcurrentHashMap<>();
    private final Map<String, Set<PassthroughBar>> warned = new ConcurrentHashMap<>();
    private volatile MigrationPhase phase = MigrationPhase.NONE;

    /**
     * An engine deciding with {@code policy} and aborting migrations through {@code migration}, in phase
     * {@link MigrationPhase#NONE}, with no device registered.
     */
    public PolicyEngine(P2pPolicy policy, MigrationControl migration) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.migration = Objects.requireNonNull(migration, "migration control");
    }

    /** The policy. */
    public P2pPolicy policy() {
        return policy;
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
     * Registers {@code device}, whose BARs are reached through {@code target}. Logs one WARN if the device lacks
     * the P2P migration states.
     *
     * @throws IllegalArgumentException naming the address if a device with it is already registered
     */
    public void register(PassthroughDevice device, P2pTarget target) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(target, "P2P target of " + device.address());
        boolean p2p = device.flags().has(MigrationFlag.P2P);
        if (targets.putIfAbsent(device.address(), new Registered(device, target, p2p)) != null) {
            throw new IllegalArgumentException("device " + device.address()
                    + " is already registered with the policy engine");
        }
        if (!p2p) {
            LOG.warn("device {} lacks P2P migration states: its migration flags are {} (states {}), so it cannot "
                    + "accept P2P accesses once another device has stopped it; policy '{}' decides what happens "
                    + "to them", device.address(), device.flags(), device.flags().supportedStates(), policy.name());
        }
    }

    /**
     * Unregisters the device at {@code address}; later accesses to it are master-aborted.
     *
     * @return whether it was registered
     */
    public boolean unregister(PciAddress address) {
        return targets.remove(address) != null;
    }

    @Override
    public int handle(P2pAccess access) {
        PassthroughBar bar = access.target();
        LongAdder[] count = counters(access.initiator().id(), bar.device());
        count[PolicyCounters.Counter.FAULTS.ordinal()].increment();
        Registered t = targets.get(bar.device());
        if (t == null) {
            return fail(access, count, "the target device is not registered with the policy engine");
        }
        MigrationState state = t.device().state();
        P2pRequest request = new P2pRequest(access, state, t.supportsP2p(), phase);
        Decision decision = policy.decide(request);
        if (decision == null) {
            throw new IllegalStateException("policy '" + policy.name() + "' returned no decision for " + request);
        }
        switch (decision) {
            case FORWARD:
                return forward(t, request, count);
            case FAIL:
                return fail(access, count, "policy '" + policy.name() + "' decided FAIL (target " + state + ")");
            case ABORT_MIGRATION:
                count[PolicyCounters.Counter.ABORTS.ordinal()].increment();
                migration.requestAbort("policy '" + policy.name() + "': " + request);
                return MemTxResult.P2P_ABORT_MIGRATION | fail(access, count, "policy '" + policy.name()
                        + "' decided ABORT_MIGRATION (target " + state + "); the access itself fails");
            case QUEUE:
            default:
                throw new UnsupportedOperationException("queue-and-replay is not built yet: policy '"
                        + policy.name() + "' decided " + decision + " for " + request);
        }
    }

    private int forward(Registered t, P2pRequest request, LongAdder[] count) {
        P2pAccess a = request.access();
        if (!request.targetAccepts()) {
            count[PolicyCounters.Counter.ERRORS.ordinal()].increment();
            return MemTxResult.ERROR | fail(a, count, "policy '" + policy.name() + "' decided FORWARD but the target "
                    + "is " + request.targetState() + ", which does not accept inbound MMIO; not forwarded");
        }
        try {
            if (a.write()) {
                t.target().write(a.target().bar(), a.barOffset(), a.data(), a.length());
            } else {
                t.target().read(a.target().bar(), a.barOffset(), a.data(), a.length());
            }
        } catch (RuntimeException e) {
            count[PolicyCounters.Counter.ERRORS.ordinal()].increment();
            return MemTxResult.ERROR | fail(a, count, "the forward failed (" + e.getMessage() + ")");
        }
        count[PolicyCounters.Counter.FORWARDED.ordinal()].increment();
        return MemTxResult.P2P_FORWARDED;
    }

    private int fail(P2pAccess access, LongAdder[] count, String why) {
        if (!access.write()) {
            Arrays.fill(access.data(), 0, access.length(), (byte) 0xff);
        }
        count[PolicyCounters.Counter.FAILED.ordinal()].increment();
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
