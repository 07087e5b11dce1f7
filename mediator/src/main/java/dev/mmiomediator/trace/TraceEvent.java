package dev.mmiomediator.trace;

import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationState;

import java.util.List;
import java.util.Map;

/**
 * One recorded event of one migration side. {@link #micros()} is when it happened (a span: when it began), in
 * microseconds since the Unix epoch by this process's wall clock, so that the recordings of two processes (or
 * hosts with synchronised clocks) line up. Immutable.
 */
public sealed interface TraceEvent {
    /** When it happened (a span: began), microseconds since the epoch. */
    long micros();

    /** The side started with these devices in these states (in the side's order). */
    record Started(long micros, String side, String vm, Map<PciAddress, MigrationState> devices)
            implements TraceEvent {
        /** Copies the map, keeping its order. */
        public Started {
            devices = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(devices));
        }
    }

    /** A device walked {@code path} from {@code micros} for {@code durationMicros}. */
    record Transitioned(long micros, long durationMicros, PciAddress device, List<MigrationState> path)
            implements TraceEvent {
        /** Copies the path. */
        public Transitioned {
            path = List.copyOf(path);
        }
    }

    /**
     * A P2P access: who, where, what, the target's state and the policy's decision (both null if none was made),
     * and the {@link dev.mmiomediator.dma.MemTxResult} bits.
     */
    record P2p(long micros, String initiator, PciAddress device, int bar, long offset, int length, boolean write,
               MigrationState targetState, String decision, int result) implements TraceEvent {
    }

    /** An access asked to abort the migration. */
    record AbortRequested(long micros, String reason) implements TraceEvent {
    }

    /** Held writes replayed to a device. */
    record Replayed(long micros, PciAddress device, int writes) implements TraceEvent {
    }

    /** Held writes carried (source: confirmed; destination: imported). */
    record Carried(long micros, PciAddress device, int writes) implements TraceEvent {
    }

    /** The migration phase from now on. */
    record Phase(long micros, String phase) implements TraceEvent {
    }

    /** The VM stopped ({@code running} false) or runs ({@code running} true). */
    record Vm(long micros, boolean running) implements TraceEvent {
    }

    /** The stream, sent or received, from {@code micros} for {@code durationMicros}. */
    record Stream(long micros, long durationMicros, boolean sent, long bytes, Map<String, Integer> sections)
            implements TraceEvent {
        /** Copies the map, keeping its order. */
        public Stream {
            sections = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sections));
        }
    }

    /** The downtime window. */
    record Downtime(long micros, long durationMicros) implements TraceEvent {
    }

    /** The side cancels or refuses. */
    record Cancelled(long micros, String reason) implements TraceEvent {
    }

    /** The side ended. */
    record Ended(long micros, String outcome, String reason) implements TraceEvent {
    }
}
