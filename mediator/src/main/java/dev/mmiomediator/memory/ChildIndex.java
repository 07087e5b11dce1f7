package dev.mmiomediator.memory;

import it.unimi.dsi.fastutil.ints.IntArrays;

import java.util.Arrays;
import java.util.List;

/**
 * The subregions of one container sorted by address, so that a windowed render (see {@link Renderer#patch})
 * visits only the children that overlap its window instead of every child: in a container of 65,536 BARs a
 * commit that changes one of them then costs a binary search, not 65,536 clip tests.
 *
 * <p>Children are kept by start; {@code maxLast[i]} is the highest last address among the first {@code i + 1}
 * of them, so a query walks back from the last child starting at or before the window's end and stops as soon
 * as no earlier child can reach the window's start. A query answers the overlapping children in precedence
 * order (their index in the container's subregion list), the order the renderer must visit them in.
 *
 * <p>Built lazily by {@link MemoryRegion#childIndexUnlocked()}, dropped whenever a child is added, removed,
 * moved, resized or re-prioritised. Immutable once built; used with the system lock held.
 */
final class ChildIndex {
    /** Containers with at most this many children are scanned instead (an index would not pay for itself). */
    static final int MIN_CHILDREN = 16;

    private final long[] startKeys;   // UnsignedKeys.key of each child's address, ascending
    private final long[] lastKeys;    // key of each child's last address (address + size - 1)
    private final long[] maxLastKeys; // running maximum of lastKeys
    private final int[] ranks;        // each child's index in the container's subregion list

    private ChildIndex(long[] startKeys, long[] lastKeys, long[] maxLastKeys, int[] ranks) {
        this.startKeys = startKeys;
        this.lastKeys = lastKeys;
        this.maxLastKeys = maxLastKeys;
        this.ranks = ranks;
    }

    /** Indexes {@code children} (a container's subregion list, in precedence order); zero-size children are left out. */
    static ChildIndex of(List<MemoryRegion> children) {
        int n = 0;
        long[] packedStarts = new long[children.size()];
        long[] lasts = new long[children.size()];
        int[] rank = new int[children.size()];
        for (int i = 0; i < children.size(); i++) {
            MemoryRegion c = children.get(i);
            Size size = c.sizeUnlocked();
            if (size.isZero()) {
                continue;
            }
            packedStarts[n] = UnsignedKeys.key(c.addressUnlocked());
            lasts[n] = UnsignedKeys.key(c.addressUnlocked() + size.last()); // fits: checked when placed
            rank[n] = i;
            n++;
        }
        // sort the positions 0..n-1 by start key
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        final long[] s = packedStarts;
        IntArrays.quickSort(order, 0, n, (x, y) -> Long.compare(s[x], s[y]));
        long[] startKeys = new long[n];
        long[] lastKeys = new long[n];
        long[] maxLastKeys = new long[n];
        int[] ranks = new int[n];
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            int o = order[i];
            startKeys[i] = packedStarts[o];
            lastKeys[i] = lasts[o];
            ranks[i] = rank[o];
            max = Math.max(max, lasts[o]);
            maxLastKeys[i] = max;
        }
        return new ChildIndex(startKeys, lastKeys, maxLastKeys, ranks);
    }

    /**
     * The precedence ranks of the children overlapping {@code [lo, hi]} (unsigned, container-relative), sorted
     * ascending, written to the start of {@code buffer} (grown or made if needed) that is returned; {@code count[0]} receives
     * their number.
     */
    int[] overlapping(long lo, long hi, int[] buffer, int[] count) {
        long loKey = UnsignedKeys.key(lo);
        long hiKey = UnsignedKeys.key(hi);
        int i = UnsignedKeys.floor(startKeys, hi);
        while (i + 1 < startKeys.length && startKeys[i + 1] <= hiKey) {
            i++; // among equal starts binarySearch may find any: take the last
        }
        int n = 0;
        int[] out = buffer != null ? buffer : new int[8];
        for (; i >= 0 && maxLastKeys[i] >= loKey; i--) {
            if (lastKeys[i] >= loKey) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, Math.max(8, n * 2));
                }
                out[n++] = ranks[i];
            }
        }
        Arrays.sort(out, 0, n);
        count[0] = n;
        return out;
    }
}
