package dev.mmiomediator.policy;

import dev.mmiomediator.pci.PciAddress;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link PolicyEngine}'s live counters: one {@link Row} per (initiator, target device), and
 * {@link #snapshot()} into an immutable {@link PolicyCounters}.
 *
 * <p>A row counts in two places. Any thread counts in the row itself ({@link LongAdder}s): replays, carried and
 * imported writes, and accesses made without a port. A port's accesses count in the port's own {@link Cell} of the
 * row, which only the port's thread writes, with a plain increment published by a release store: no atomic
 * read-modify-write per count. A row's value is its adders, plus its cells read with acquire loads, plus what the
 * cells of ports that are gone had counted ({@code retired}). A cell belongs to an owner (the port's cache in the
 * engine), held weakly: when the owner has been collected nobody writes the cell any more, and the row folds it
 * into {@code retired} the next time it is read or given a cell, so a row holds one cell per live port.
 *
 * <p><b>Note:</b> thread-safe. Reading a row (and folding its dead cells) happens under the row's monitor, which the
 * counting never takes; each counter of a row is exact for the counts that happened before the read, and never
 * goes down between two reads.
 */
final class CounterTable {
    private static final PolicyCounters.Counter[] COUNTERS = PolicyCounters.Counter.values();
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final Map<String, Map<PciAddress, Row>> rows = new ConcurrentHashMap<>();

    /** Where the engine counts one access's outcomes: a {@link Row} (any thread) or a port's {@link Cell}. */
    interface Counts {
        /** Counts one more {@code counter}. */
        void increment(PolicyCounters.Counter counter);
    }

    /** The counters of one (initiator, target) pair. */
    static final class Row implements Counts {
        private final LongAdder[] adders = new LongAdder[COUNTERS.length];
        /** The cells of the live ports that count here; copied on change, under this row's monitor. */
        private Cell[] cells = new Cell[0];
        /** What the cells of ports that are gone had counted; under this row's monitor. */
        private final long[] retired = new long[COUNTERS.length];

        private Row() {
            for (int i = 0; i < adders.length; i++) {
                adders[i] = new LongAdder();
            }
        }

        /** Counts one more {@code counter}; any thread. */
        @Override
        public void increment(PolicyCounters.Counter counter) {
            adders[counter.ordinal()].increment();
        }

        /**
         * The cell of this row that {@code owner} counts in, made on first use. Only the owner's thread may count in
         * it; the row keeps it (and reads it) until the owner is collected.
         */
        synchronized Cell cell(Object owner) {
            foldDead();
            for (Cell c : cells) {
                if (c.owner.get() == owner) {
                    return c;
                }
            }
            Cell c = new Cell(owner);
            cells = Arrays.copyOf(cells, cells.length + 1);
            cells[cells.length - 1] = c;
            return c;
        }

        /** The number of cells this row reads (one per live owner that counted here). */
        synchronized int cellCount() {
            foldDead();
            return cells.length;
        }

        /** Every counter's value now, by ordinal. */
        synchronized long[] sums() {
            foldDead();
            long[] sums = retired.clone();
            for (int i = 0; i < sums.length; i++) {
                sums[i] += adders[i].sum();
                for (Cell c : cells) {
                    sums[i] += c.get(i);
                }
            }
            return sums;
        }

        /** Moves the counts of cells whose owner was collected into {@link #retired}; under the monitor. */
        private void foldDead() {
            int live = 0;
            for (Cell c : cells) {
                if (c.owner.get() != null) {
                    live++;
                }
            }
            if (live == cells.length) {
                return;
            }
            Cell[] kept = new Cell[live];
            int k = 0;
            for (Cell c : cells) {
                if (c.owner.get() != null) {
                    kept[k++] = c;
                } else {
                    // the owner is unreachable, so no thread counts in this cell any more: its values are final
                    for (int i = 0; i < retired.length; i++) {
                        retired[i] += c.get(i);
                    }
                }
            }
            cells = kept;
        }
    }

    /**
     * One port's counts in a {@link Row}.
     *
     * <p><b>Note:</b> single writer: only the owner's thread counts (a plain increment and a release store, so the
     * count never tears and a reader's acquire load sees every count made before); any thread may read.
     */
    static final class Cell implements Counts {
        /** A cache line of longs on either side of the counts, so that two ports' cells never share one. */
        private static final int PAD = 8;

        private final long[] counts = new long[PAD + COUNTERS.length + PAD];
        private final WeakReference<Object> owner;

        private Cell(Object owner) {
            this.owner = new WeakReference<>(owner);
        }

        /** Counts one more {@code counter}; the owner's thread only. */
        @Override
        public void increment(PolicyCounters.Counter counter) {
            int i = PAD + counter.ordinal();
            LONGS.setRelease(counts, i, counts[i] + 1);
        }

        private long get(int ordinal) {
            return (long) LONGS.getAcquire(counts, PAD + ordinal);
        }
    }

    /** The row of accesses by {@code initiator} to {@code target}, created empty on first use. */
    Row row(String initiator, PciAddress target) {
        Map<PciAddress, Row> byTarget = rows.computeIfAbsent(initiator, k -> new ConcurrentHashMap<>());
        // get first: computeIfAbsent may lock the bin even when the row exists
        Row row = byTarget.get(target);
        return row != null ? row : byTarget.computeIfAbsent(target, k -> new Row());
    }

    /** Every row read once, without stopping the counting (see {@link PolicyCounters}). */
    PolicyCounters snapshot() {
        Map<PolicyCounters.Key, Map<PolicyCounters.Counter, Long>> copy = new HashMap<>();
        rows.forEach((initiator, byTarget) -> byTarget.forEach((target, row) -> {
            long[] sums = row.sums();
            Map<PolicyCounters.Counter, Long> counts = new EnumMap<>(PolicyCounters.Counter.class);
            for (PolicyCounters.Counter c : COUNTERS) {
                counts.put(c, sums[c.ordinal()]);
            }
            copy.put(new PolicyCounters.Key(initiator, target), counts);
        }));
        return new PolicyCounters(copy);
    }
}
