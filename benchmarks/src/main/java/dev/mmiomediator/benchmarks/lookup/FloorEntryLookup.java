package dev.mmiomediator.benchmarks.lookup;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Baselines: the JDK's sorted maps, {@link NavigableMap#floorEntry} then the end check, over boxed keys.
 *
 * <ul>
 *   <li>{@link #treeMap}: {@link TreeMap}, the obvious Java answer; a red-black tree, so a pointer chase and an
 *       unpredictable branch per level.</li>
 *   <li>{@link #skipList}: {@link ConcurrentSkipListMap}, what a Java VMM would pick for concurrent readers and
 *       writers without a lock; its {@code floorEntry} builds a new immutable entry per call, so it allocates
 *       unless escape analysis removes it ({@code -prof gc} tells).</li>
 * </ul>
 *
 * <p><b>Note:</b> as thread-safe as the map; read-only after construction.
 */
public final class FloorEntryLookup implements RangeLookup {
    private final NavigableMap<Long, Range> map;

    private FloorEntryLookup(RangeMap ranges, NavigableMap<Long, Range> map) {
        this.map = map;
        for (Range r : ranges.ranges()) {
            map.put(r.start(), r);
        }
    }

    /** A {@link TreeMap} of {@code ranges}. */
    public static FloorEntryLookup treeMap(RangeMap ranges) {
        return new FloorEntryLookup(ranges, new TreeMap<>());
    }

    /** A {@link ConcurrentSkipListMap} of {@code ranges}. */
    public static FloorEntryLookup skipList(RangeMap ranges) {
        return new FloorEntryLookup(ranges, new ConcurrentSkipListMap<>());
    }

    @Override
    public Object find(long address) {
        Map.Entry<Long, Range> e = map.floorEntry(address);
        return e != null && e.getValue().contains(address) ? e.getValue() : null;
    }
}
