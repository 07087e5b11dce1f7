package dev.mmiomediator.benchmarks.lookup;

import java.util.Arrays;

/**
 * Baseline: {@link Arrays#binarySearch(long[], long)} over a primitive array of starts, an array of lasts for
 * the end check: the mediator's index before it had a bucket table, and the floor of what a sorted array can
 * do without help.
 *
 * <p><b>Note:</b> thread-safe (immutable).
 */
public final class BinarySearchLookup implements RangeLookup {
    private final long[] starts;
    private final long[] lasts;
    private final Range[] ranges;

    /** An index of {@code ranges}. */
    public BinarySearchLookup(RangeMap map) {
        ranges = map.ranges();
        starts = new long[ranges.length];
        lasts = new long[ranges.length];
        for (int i = 0; i < ranges.length; i++) {
            starts[i] = ranges[i].start();
            lasts[i] = ranges[i].last();
        }
    }

    @Override
    public Object find(long address) {
        int i = Arrays.binarySearch(starts, address);
        if (i < 0) {
            i = -i - 2;
        }
        return i >= 0 && address <= lasts[i] ? ranges[i] : null;
    }
}
