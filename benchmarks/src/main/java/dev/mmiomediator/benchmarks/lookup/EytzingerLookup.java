package dev.mmiomediator.benchmarks.lookup;

/**
 * Baseline: the starts in Eytzinger (breadth-first heap) order, searched branch-free: node {@code k}'s children
 * are {@code 2k} and {@code 2k + 1}, so the first levels share a few cache lines and the next probes' lines can
 * be fetched early. After the descent, the floor is recovered from the path bits (Khuong and Morin, "Array
 * layouts for comparison-based searching", 2017).
 *
 * <p><b>Note:</b> thread-safe (immutable).
 */
public final class EytzingerLookup implements RangeLookup {
    private final long[] tree;   // 1-based: tree[k] is a start; tree[0] unused
    private final int[] rank;    // rank[k]: the index in sorted order of tree[k]
    private final long[] lasts;  // by sorted index
    private final Range[] ranges;

    /** An index of {@code map}'s ranges. */
    public EytzingerLookup(RangeMap map) {
        ranges = map.ranges();
        int n = ranges.length;
        tree = new long[n + 1];
        rank = new int[n + 1];
        lasts = new long[n];
        for (int i = 0; i < n; i++) {
            lasts[i] = ranges[i].last();
        }
        fill(1, 0);
    }

    /** Fills the subtree at {@code k} in order from sorted index {@code i}; returns the next sorted index. */
    private int fill(int k, int i) {
        if (k < tree.length) {
            i = fill(2 * k, i);
            tree[k] = ranges[i].start();
            rank[k] = i;
            i = fill(2 * k + 1, i + 1);
        }
        return i;
    }

    @Override
    public Object find(long address) {
        int k = 1;
        int n = tree.length;
        while (k < n) {
            k = 2 * k + (tree[k] <= address ? 1 : 0);
        }
        // the floor is the last node where the descent turned right (start <= address): drop the left turns after
        // it (trailing zeros) and that right turn
        k >>>= Integer.numberOfTrailingZeros(k) + 1;
        if (k == 0) {
            return null; // every start is above the address
        }
        int i = rank[k];
        return address <= lasts[i] ? ranges[i] : null;
    }
}
