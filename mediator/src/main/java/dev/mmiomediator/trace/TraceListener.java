package dev.mmiomediator.trace;

import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationState;

import java.util.List;
import java.util.Map;

/**
 * Told what one side of a migration does, as it happens. Every method does nothing by default: implement those
 * you need. Set one with {@code PolicyEngine.setTraceListener}, {@code SourceMigration.setTraceListener} and
 * {@code DestinationMigration.setTraceListener} (the same instance for one side; one instance per side).
 *
 * <p>Called on the thread where the event happens, with no lock of the caller's held except where a method says
 * so; P2P accesses arrive concurrently from the accessing threads. An implementation must be thread-safe, quick and
 * must not throw (what it throws is ignored). A span (a transition, the stream, the downtime) is reported once, at
 * its end, with how long it took.
 */
public interface TraceListener {
    /** Listens to nothing. */
    TraceListener NONE = new TraceListener() {
        @Override
        public String toString() {
            return "no trace listener";
        }
    };

    /**
     * {@code listener} (NONE for null), with whatever a call of it throws caught and ignored: what the migration
     * sides call, so that a listener's bug cannot change a migration.
     */
    static TraceListener guarded(TraceListener listener) {
        return listener == null ? NONE : listener instanceof GuardedListener ? listener : new GuardedListener(listener);
    }
    /**
     * One side of a migration starts.
     *
     * @param side    {@code source} or {@code destination}
     * @param devices every passthrough device of this side and its state now, in the side's order
     */
    default void migrationStarted(String side, String vm, Map<PciAddress, MigrationState> devices) {
    }

    /**
     * {@code device} walked {@code path} (the kernel's path, the state it was in first; a reset is a path of two),
     * which took {@code nanos} and has just ended.
     */
    default void transitioned(PciAddress device, List<MigrationState> path, long nanos) {
    }

    /**
     * A P2P access was decided and carried out. {@code access} is valid only during the call (copy what you keep;
     * its data bytes belong to the initiator).
     *
     * @param targetState the target's state when the policy decided, or null if it never decided (the target is
     *                    not registered, or the access waited past its deadline without a decision)
     * @param decision    the policy's decision ({@code Decision.name()}), or null as for {@code targetState}
     * @param result      the {@link dev.mmiomediator.dma.MemTxResult} bits the initiator got
     */
    default void p2pAccess(P2pAccess access, MigrationState targetState, String decision, int result) {
    }

    /**
     * A P2P access asks to abort the migration, for {@code reason} (the policy's words): told just before the engine
     * asks its {@code MigrationControl}, so before any cancel the request causes, and before the access's own
     * {@link #p2pAccess} (which comes when the access is done).
     */
    default void abortRequested(String reason) {
    }

    /**
     * {@code writes} held writes to {@code device} were replayed, in order, inside the transition that made it
     * accept (the device's exclusive inbound lock is held).
     */
    default void replayed(PciAddress device, int writes) {
    }

    /**
     * Source: {@code writes} held writes to {@code device} were carried by the stream and confirmed by the
     * destination. Destination: {@code writes} carried writes to {@code device} were imported, ahead of its own.
     */
    default void carried(PciAddress device, int writes) {
    }

    /** The migration phase (a {@code MigrationPhase} name) the policy sees from now on. */
    default void phaseChanged(String phase) {
    }

    /** The VM stopped (source: before saving; destination: its DMA stopped to undo a load). */
    default void vmStopped() {
    }

    /** The VM runs (source: resumed after a cancel; destination: its DMA started after the load). */
    default void vmResumed() {
    }

    /**
     * The migration stream was sent (source) or received and validated (destination), which took {@code nanos}.
     *
     * @param sections per section type, how many ({@link #sections})
     */
    default void stream(boolean sent, long bytes, Map<String, Integer> sections, long nanos) {
    }

    /**
     * The {@code sections} of {@link #stream}, in stream order: {@code device-state}, {@code ram} and
     * {@code queued-writes} (the number of held writes the one queued-writes section carries).
     */
    static Map<String, Integer> sections(int deviceStates, long ramSections, int queuedWrites) {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        m.put("device-state", deviceStates);
        m.put("ram", (int) Math.min(Integer.MAX_VALUE, ramSections));
        m.put("queued-writes", queuedWrites);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The downtime window, which took {@code nanos}, has just ended (the side's own measure of it). */
    default void downtime(long nanos) {
    }

    /** The side cancels (source) or refuses (destination) the migration, for {@code reason}. */
    default void cancelled(String reason) {
    }

    /** The side ended: {@code completed}, {@code aborted} or {@code refused}, and why not completed (or empty). */
    default void migrationEnded(String outcome, String reason) {
    }
}
