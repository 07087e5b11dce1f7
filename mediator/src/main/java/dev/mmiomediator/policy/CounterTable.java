package dev.mmiomediator.policy;

import dev.mmiomediator.pci.PciAddress;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link PolicyEngine}'s live counters: one {@link Row} of {@link LongAdder}s per (initiator, target device),
 * and {@link #snapshot()} into an immutable {@link PolicyCounters}.
 *
 * <p><b>Note:</b> thread-safe. A row is created once per pair (concurrent maps) and then only incremented, so an
 * accessing thread that has its row counts without contention on a shared lock.
 */
final class CounterTable {
    private static final PolicyCounters.Counter[] COUNTERS = PolicyCounters.Counter.values();

    private final Map<String, Map<PciAddress, Row>> rows = new ConcurrentHashMap<>();

    /** The counters of one (initiator, target) pair. */
    static final class Row {
        private final LongAdder[] adders = new LongAdder[COUNTERS.length];

        private Row() {
            for (int i = 0; i < adders.length; i++) {
                adders[i] = new LongAdder();
            }
        }

        /** Counts one more {@code counter}. */
        void increment(PolicyCounters.Counter counter) {
            adders[counter.ordinal()].increment();
        }

        private long sum(PolicyCounters.Counter counter) {
            return adders[counter.ordinal()].sum();
        }
    }

    /** The row of accesses by {@code initiator} to {@code target}, created empty on first use. */
    Row row(String initiator, PciAddress target) {
        Map<PciAddress, Row> byTarget = rows.computeIfAbsent(initiator, k -> new ConcurrentHashMap<>());
        // get first: computeIfAbsent may lock the bin even when the row exists, and this runs once per access
        Row row = byTarget.get(target);
        return row != null ? row : byTarget.computeIfAbsent(target, k -> new Row());
    }

    /** Every row read once, without stopping the counting (see {@link PolicyCounters}). */
    PolicyCounters snapshot() {
        Map<PolicyCounters.Key, Map<PolicyCounters.Counter, Long>> copy = new HashMap<>();
        rows.forEach((initiator, byTarget) -> byTarget.forEach((target, row) -> {
            Map<PolicyCounters.Counter, Long> counts = new EnumMap<>(PolicyCounters.Counter.class);
            for (PolicyCounters.Counter c : COUNTERS) {
                counts.put(c, row.sum(c));
            }
            copy.put(new PolicyCounters.Key(initiator, target), counts);
        }));
        return new PolicyCounters(copy);
    }
}
