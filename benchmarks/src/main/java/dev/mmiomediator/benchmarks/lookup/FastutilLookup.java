package dev.mmiomediator.benchmarks.lookup;

import it.unimi.dsi.fastutil.longs.Long2ObjectAVLTreeMap;
import it.unimi.dsi.fastutil.longs.Long2ObjectSortedMap;

/**
 * Baseline: a fastutil sorted map with primitive {@code long} keys ({@link Long2ObjectAVLTreeMap}, no boxing).
 * fastutil's sorted maps have no floor query; the idiom is the last key of the head map below
 * {@code address + 1}, then a get: two descents, and a head-map view object per call unless escape analysis
 * removes it.
 *
 * <p><b>Note:</b> not thread-safe; read-only after construction.
 */
public final class FastutilLookup implements RangeLookup {
    private final Long2ObjectAVLTreeMap<Range> map = new Long2ObjectAVLTreeMap<>();

    /** An index of {@code ranges}. */
    public FastutilLookup(RangeMap ranges) {
        for (Range r : ranges.ranges()) {
            map.put(r.start(), r);
        }
    }

    @Override
    public Object find(long address) {
        Long2ObjectSortedMap<Range> below = map.headMap(address + 1);
        if (below.isEmpty()) {
            return null;
        }
        Range r = map.get(below.lastLongKey());
        return r.contains(address) ? r : null;
    }
}
