package dev.mmiomediator.memory;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The subregions of one container sorted by address, so that a windowed render (see {@link Renderer#patch})
 * visits only the children that overlap its window instead of every child: in a container of 65,536 BARs a
 * commit that changes one of them then costs a binary search, not 65,536 clip tests.
 *
 * <p>Children are kept by start; {@code maxLast[i]} is the highest last address among the first {@code i + 1}
 * of them, so a query walks back from the last child starting at or before the window's end and stops as soon
 * as no earlier child can reach the window's start. A query answers the overlapping children in precedence
 * order (descending priority, then the most recently placed first: the order of the container's subregion list,
 * which the renderer must visit them in), from each child's priority and placement sequence.
 *
 * <p>Built by {@link MemoryRegion#childIndexUnlocked()} the first time a windowed render needs it, then kept up to
 * date: a child added, removed, moved or resized is taken out and put back in place (two array shifts); a
 * priority change needs nothing, as the order is not part of the index. Used with the system lock held.
 */
final class ChildIndex {
    /** Containers with at most this many children are scanned instead (an index would not pay for itself). */
    static final int MIN_CHILDREN = 16;

    /** The subregion list's order: descending priority, then the most recently placed first. */
    static final Comparator<MemoryRegion> PRECEDENCE = (x, y) -> x.priorityUnlocked() != y.priorityUnlocked()
            ? Integer.compare(y.priorityUnlocked(), x.priorityUnlocked())
            : Long.compare(y.sequenceUnlocked(), x.sequenceUnlocked());

    private MemoryRegion[] children;
    private long[] startKeys;   // UnsignedKeys.key of each child's address, ascending
    private long[] lastKeys;    // key of each child's last address (address + size - 1)
    private long[] maxLastKeys; // running maximum of lastKeys
    private int n;

    private ChildIndex(int capacity) {
        children = new MemoryRegion[capacity];
        startKeys = new long[capacity];
        lastKeys = new long[capacity];
        maxLastKeys = new long[capacity];
    }

    /** Indexes {@code list} (a container's subregions); zero-size children are left out. */
    static ChildIndex of(List<MemoryRegion> list) {
        MemoryRegion[] sorted = list.toArray(new MemoryRegion[0]);
        Arrays.sort(sorted, (x, y) -> Long.compare(UnsignedKeys.key(x.addressUnlocked()),
                UnsignedKeys.key(y.addressUnlocked())));
        ChildIndex index = new ChildIndex(sorted.length + 8);
        for (MemoryRegion c : sorted) {
            if (!c.sizeUnlocked().isZero()) {
                index.children[index.n] = c;
                index.startKeys[index.n] = UnsignedKeys.key(c.addressUnlocked());
                index.lastKeys[index.n] = lastKey(c);
                index.n++;
            }
        }
        index.maxFrom(0);
        return index;
    }

    private static long lastKey(MemoryRegion c) {
        return UnsignedKeys.key(c.addressUnlocked() + c.sizeUnlocked().last()); // fits: checked when placed
    }

    private void maxFrom(int i) {
        long max = i == 0 ? Long.MIN_VALUE : maxLastKeys[i - 1];
        for (; i < n; i++) {
            max = Math.max(max, lastKeys[i]);
            maxLastKeys[i] = max;
        }
    }

    /** Takes {@code c} out, found by its current address (call before moving or resizing it). */
    void remove(MemoryRegion c) {
        if (c.sizeUnlocked().isZero()) {
            return;
        }
        long key = UnsignedKeys.key(c.addressUnlocked());
        int i = Arrays.binarySearch(startKeys, 0, n, key);
        if (i < 0) {
            throw new IllegalStateException("child '" + c.name() + "' missing from its container's index");
        }
        while (i > 0 && startKeys[i - 1] == key) {
            i--;
        }
        while (children[i] != c) {
            i++; // among equal starts; the child is there
        }
        int tail = n - i - 1;
        System.arraycopy(children, i + 1, children, i, tail);
        System.arraycopy(startKeys, i + 1, startKeys, i, tail);
        System.arraycopy(lastKeys, i + 1, lastKeys, i, tail);
        children[--n] = null;
        maxFrom(i);
    }

    /** Puts {@code c} in at its current address and size. */
    void insert(MemoryRegion c) {
        if (c.sizeUnlocked().isZero()) {
            return;
        }
        if (n == children.length) {
            int cap = n + (n >> 1) + 8;
            children = Arrays.copyOf(children, cap);
            startKeys = Arrays.copyOf(startKeys, cap);
            lastKeys = Arrays.copyOf(lastKeys, cap);
            maxLastKeys = Arrays.copyOf(maxLastKeys, cap);
        }
        long key = UnsignedKeys.key(c.addressUnlocked());
        int i = Arrays.binarySearch(startKeys, 0, n, key);
        i = i >= 0 ? i : -i - 1;
        int tail = n - i;
        System.arraycopy(children, i, children, i + 1, tail);
        System.arraycopy(startKeys, i, startKeys, i + 1, tail);
        System.arraycopy(lastKeys, i, lastKeys, i + 1, tail);
        children[i] = c;
        startKeys[i] = key;
        lastKeys[i] = lastKey(c);
        n++;
        maxFrom(i);
    }

    /**
     * The children overlapping {@code [lo, hi]} (unsigned, container-relative) in precedence order, written to the
     * start of {@code buffer} (grown or made if needed) that is returned; {@code count[0]} receives their number.
     */
    MemoryRegion[] overlapping(long lo, long hi, MemoryRegion[] buffer, int[] count) {
        long loKey = UnsignedKeys.key(lo);
        long hiKey = UnsignedKeys.key(hi);
        int i = Arrays.binarySearch(startKeys, 0, n, hiKey);
        i = i >= 0 ? i : -i - 2;
        while (i + 1 < n && startKeys[i + 1] <= hiKey) {
            i++; // among equal starts binarySearch may find any: take the last
        }
        int k = 0;
        MemoryRegion[] out = buffer != null ? buffer : new MemoryRegion[8];
        for (; i >= 0 && maxLastKeys[i] >= loKey; i--) {
            if (lastKeys[i] >= loKey) {
                if (k == out.length) {
                    out = Arrays.copyOf(out, k * 2);
                }
                out[k++] = children[i];
            }
        }
        if (k > 1) {
            Arrays.sort(out, 0, k, PRECEDENCE);
        }
        count[0] = k;
        return out;
    }
}
