package dev.mmiomediator.policy;

import dev.mmiomediator.pci.PciAddress;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable snapshot of a {@link PolicyEngine}'s counters, per (initiator, target device). Each counter was
 * read once, without stopping the engine, so counters of one snapshot may come from slightly different
 * instants; each one is exact for the accesses that had completed when it was read. Thread-safe.
 */
public final class PolicyCounters {
    /** What is counted. */
    public enum Counter {
        /** Every P2P access the engine handled, whatever the outcome. */
        FAULTS,
        /** Accesses performed on the target ({@link Decision#FORWARD} that succeeded). */
        FORWARDED,
        /**
         * Accesses master-aborted (reads all-ones, writes dropped) for any reason: {@link Decision#FAIL}, an
         * unregistered target, a forward the target refused or a policy bug ({@link #ERRORS}), or a wait that
         * reached its limit.
         */
        FAILED,
        /**
         * Writes the engine held for later: {@link Decision#QUEUE}, {@link Decision#ABORT_MIGRATION} on a target
         * that does not accept, writes queued behind held ones, and writes imported from a migration stream.
         */
        QUEUED,
        /** Held writes replayed on the target, each exactly once. */
        REPLAYED,
        /** Held writes handed over to the destination by a migration stream ({@link PolicyEngine#confirmCarried}). */
        CARRIED,
        /**
         * Requests to abort the migration ({@link MigrationControl#requestAbort} calls): one per access decided
         * {@link Decision#ABORT_MIGRATION}, and one per write that found its target's queue full.
         */
        ABORTS,
        /**
         * Accesses that went wrong rather than being refused by the policy, each also counted in {@link #FAILED}:
         * a forward to a state that does not accept inbound MMIO or that the {@link P2pTarget} refused,
         * {@link Decision#QUEUE} for a read, a policy that threw or returned no decision, or an access that waited
         * {@link PolicyEngine.Settings#maxWait()}.
         */
        ERRORS
    }

    /**
     * One row key.
     *
     * @param initiator the initiator's id
     * @param target    the target device
     */
    public record Key(String initiator, PciAddress target) {
        /** Checks that nothing is null. */
        public Key {
            Objects.requireNonNull(initiator, "initiator");
            Objects.requireNonNull(target, "target");
        }

        @Override
        public String toString() {
            return initiator + " -> " + target;
        }
    }

    /** No counts at all. */
    public static final PolicyCounters EMPTY = new PolicyCounters(Map.of());

    private final Map<Key, Map<Counter, Long>> rows;

    /** A snapshot of {@code rows}, copied. */
    public PolicyCounters(Map<Key, Map<Counter, Long>> rows) {
        Map<Key, Map<Counter, Long>> copy = new LinkedHashMap<>();
        rows.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<Key, Map<Counter, Long>> e) -> e.getKey().initiator())
                        .thenComparing(e -> e.getKey().target().toString()))
                .forEach(e -> copy.put(e.getKey(), Map.copyOf(e.getValue())));
        this.rows = java.util.Collections.unmodifiableMap(copy);
    }

    /** The (initiator, target) pairs that have counts, sorted by initiator then target. */
    public Set<Key> keys() {
        return rows.keySet();
    }

    /** The count of {@code counter} for accesses by {@code initiator} to {@code target}; 0 if none. */
    public long get(String initiator, PciAddress target, Counter counter) {
        Map<Counter, Long> row = rows.get(new Key(initiator, target));
        return row == null ? 0 : row.getOrDefault(counter, 0L);
    }

    /** The count of {@code counter} over every initiator and target. */
    public long total(Counter counter) {
        long sum = 0;
        for (Map<Counter, Long> row : rows.values()) {
            sum += row.getOrDefault(counter, 0L);
        }
        return sum;
    }

    /** The count of {@code counter} over every initiator, for {@code target}. */
    public long target(PciAddress target, Counter counter) {
        long sum = 0;
        for (Map.Entry<Key, Map<Counter, Long>> e : rows.entrySet()) {
            if (e.getKey().target().equals(target)) {
                sum += e.getValue().getOrDefault(counter, 0L);
            }
        }
        return sum;
    }

    /** One line per (initiator, target): its non-zero counters. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Key, Map<Counter, Long>> e : rows.entrySet()) {
            sb.append(e.getKey()).append(':');
            for (Counter c : List.of(Counter.values())) {
                long v = e.getValue().getOrDefault(c, 0L);
                if (v != 0) {
                    sb.append(' ').append(c.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(v);
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
