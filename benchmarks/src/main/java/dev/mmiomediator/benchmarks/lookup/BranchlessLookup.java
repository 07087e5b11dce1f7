package dev.mmiomediator.benchmarks.lookup;

/**
 * Baseline: a branch-free binary search over a primitive array of starts (the loop runs a fixed
 * {@code ceil(log2 n)} times and each step is a conditional move, so a random address costs no mispredicted
 * branch), an array of lasts for the end check. What a sorted array can do without a table.
 *
 * <p><b>Note:</b> thread-safe (immutable).
 */
public final class BranchlessLookup implements RangeLookup {
    private final long[] starts;
    private final long[] lasts;
    private final Range[] ranges;

    /** An index of {@code map}'s ranges. */
    public BranchlessLookup(RangeMap map) {
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
        if (address < starts[0]) {
            return null;
        }
        int at = 0;
        int n = starts.length; // the last start at or below address is in [at, at + n)
        while (n > 1) {
            int half = n >>> 1;
            at = starts[at + half] <= address ? at + half : at;
            n -= half;
        }
        return address <= lasts[at] ? ranges[at] : null;
    }
}
