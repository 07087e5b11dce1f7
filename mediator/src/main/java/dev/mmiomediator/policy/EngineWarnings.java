package dev.mmiomediator.policy;

import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.vfio.PassthroughDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link PolicyEngine}'s log lines, never one per access. WARN is for what an operator must act on: a full
 * queue (once per target until its held writes drain; it asks to abort the migration) and a failed replay (once per
 * replay). INFO is for what the policy decided and the report already counts: a master abort once per
 * (initiator, BAR), and a device without the P2P states once when it is registered (the migration plan states
 * that before any migration). DEBUG: each registration. Each line starts with the side when the caller named it
 * ({@link EngineLog}), and names the device. Logged under {@code PolicyEngine}'s
 * logger, so a logging configuration names the engine, not its parts.
 *
 * <p><b>Note:</b> thread-safe; "once" is exact (a concurrent set decides who logs), not best effort.
 */
final class EngineWarnings {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);

    /** Per initiator id, the BARs a master abort was logged for. */
    private final Map<String, Set<PassthroughBar>> masterAborted = new ConcurrentHashMap<>();
    /** The held-write queues whose being full was logged and that have not drained since. */
    private final Set<HeldWrites> full = ConcurrentHashMap.newKeySet();

    /**
     * {@code access} is master-aborted: whether it is the first for its initiator and BAR, which the caller then
     * logs with {@link #masterAbort} (exactly one caller gets true per pair). Allocates nothing once the pair is known.
     */
    boolean firstMasterAbort(P2pAccess access) {
        return masterAborted.computeIfAbsent(access.initiator().id(), k -> ConcurrentHashMap.newKeySet())
                .add(access.bar());
    }

    /** Logs that {@code access} was master-aborted because of {@code why}; see {@link #firstMasterAbort}. */
    void masterAbort(P2pAccess access, String why) {
        LOG.info("{}P2P access master-aborted: {}: {} (reads return all-ones, writes are dropped; logged once "
                + "per initiator and BAR)", side(), access, why);
    }

    /** The queue of {@code writes} is full: logged unless it was already and has not drained since. */
    void queueFull(HeldWrites writes, int capacity) {
        if (full.add(writes)) {
            LOG.warn("{}P2P write queue of {} is full ({} writes): asking to abort the migration; writes wait "
                    + "for room (logged once per device)", side(), writes.device().address(), capacity);
        }
    }

    /** Every write held in {@code writes} was replayed (or it was unregistered): its next full queue is logged. */
    void queueDrained(HeldWrites writes) {
        full.remove(writes);
    }

    /** {@code device}, just registered, lacks the P2P states, so {@code policy} decides for it once it is stopped. */
    void lacksP2p(PassthroughDevice device, P2pPolicy policy) {
        LOG.info("{}device {} lacks P2P migration states (migration flags {}): policy '{}' decides for P2P "
                + "accesses to it while it is stopped", side(), device.address(), device.flags(), policy.name());
    }

    /** Replaying {@code write} failed with {@code e}; it and the {@code behind} writes after it stay held. */
    void replayFailed(QueuedWrite write, PassthroughDevice device, int behind, RuntimeException e) {
        LOG.warn("{}replaying held write {} to {} failed; it and the {} writes behind it stay held: {}",
                side(), write, device, behind, e.toString());
    }

    /** {@code device} was registered under {@code policy}. */
    void registered(PassthroughDevice device, P2pPolicy policy) {
        LOG.debug("{}device {} registered (migration flags {}, policy '{}')", side(), device.address(),
                device.flags(), policy.name());
    }

    /** The side the caller named ({@link EngineLog}), as a line prefix, or nothing. */
    private static String side() {
        return EngineLog.prefix();
    }
}
