package dev.mmiomediator.memory;

import it.unimi.dsi.fastutil.ints.IntArrays;
import it.unimi.dsi.fastutil.longs.LongArrayList;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where the open transaction may have changed what the published views render: per flat-view root, address
 * windows in the root's rendering frame. A region's attributes and children decide what renders only inside its
 * own extent, wherever it is rendered, so a change to a region is recorded as every place it renders (before the
 * change and after it, for changes that move or resize it): up its container chain and through every alias onto it
 * or onto a region above it. Between two states the views differ only inside the windows of the changes between
 * them, so the commit re-renders those windows and keeps the rest of each view.
 *
 * <p>Two things cannot be localised this way, and make the commit render whole ({@link #wholeRender()}): a change
 * that renders in more places than {@link #MAX_VISITS} steps of the walk reach, and a change to what leaves take
 * from their container chain (their passthrough BAR and offset in it) when an alias shows one of those leaves
 * elsewhere, or when a view is rendered from below the changed region (QEMU's flat-view root can be deeper than
 * the address space's root): no walk up from the changed region leads there.
 *
 * <p><b>Note:</b> not thread-safe; used with the system lock held.
 */
final class DirtyWindows {
    /** Steps of one region's walk (regions visited, once per path) before the commit gives up and renders whole. */
    static final int MAX_VISITS = 256;
    /** Windows kept per root before they are merged down to one covering them all. */
    private static final int MAX_WINDOWS = 4096;

    /** The roots of the published views: the frames windows are recorded in. */
    private Set<MemoryRegion> roots = Collections.emptySet();
    private final Map<MemoryRegion, LongArrayList> windows = new IdentityHashMap<>();
    private boolean whole;
    private int budget;

    /** Records the windows where {@code r} renders in the published views' roots. */
    void touched(MemoryRegion r) {
        if (whole || roots.isEmpty()) {
            return;
        }
        Size size = r.sizeUnlocked();
        if (size.isZero()) {
            return;
        }
        budget = MAX_VISITS;
        walk(r, 0, size.last());
    }

    /**
     * Records a change to what the leaves strictly below {@code r} take from their container chain: if an alias
     * shows any region below {@code r}, or a view is rendered from a region below it (its frame does not contain
     * {@code r}), the next commit renders whole.
     */
    void touchedBelow(MemoryRegion r) {
        if (whole) {
            return;
        }
        for (MemoryRegion root : roots) {
            for (MemoryRegion x = root.containerUnlocked(); x != null; x = x.containerUnlocked()) {
                if (x == r) {
                    whole = true;
                    return;
                }
            }
        }
        ArrayDeque<MemoryRegion> todo = new ArrayDeque<>(r.subregionsUnlocked());
        while (!todo.isEmpty()) {
            MemoryRegion x = todo.pop();
            if (!x.aliasesUnlocked().isEmpty()) {
                whole = true;
                return;
            }
            todo.addAll(x.subregionsUnlocked());
        }
    }

    /** {@code [lo, hi]}: where {@code v} is rendered, relative to its own start (unsigned, within its size). */
    private void walk(MemoryRegion v, long lo, long hi) {
        if (whole) {
            return;
        }
        if (--budget < 0) {
            whole = true;
            return;
        }
        if (roots.contains(v)) {
            // the renderer starts a view at its root's own address, then clips to [0, 2^64)
            long start = lo + v.addressUnlocked();
            if (Long.compareUnsigned(start, lo) >= 0) {
                long end = hi + v.addressUnlocked();
                add(v, start, Long.compareUnsigned(end, hi) < 0 ? -1L : end);
            }
        }
        MemoryRegion c = v.containerUnlocked();
        if (c != null) {
            long at = v.addressUnlocked(); // the child fits below 2^64 in its container: no overflow
            long cLast = c.sizeUnlocked().isZero() ? -1 : c.sizeUnlocked().last();
            if (!c.sizeUnlocked().isZero() && Long.compareUnsigned(lo + at, cLast) <= 0) {
                long end = hi + at;
                walk(c, lo + at, Long.compareUnsigned(end, cLast) > 0 ? cLast : end);
            }
        }
        for (MemoryRegion a : v.aliasesUnlocked()) {
            // the alias shows [offset, offset + size) of v at its own start
            long off = a.aliasOffsetUnlocked();
            Size aSize = a.sizeUnlocked();
            if (aSize.isZero() || Long.compareUnsigned(hi, off) < 0) {
                continue;
            }
            long from = (Long.compareUnsigned(lo, off) > 0 ? lo : off) - off;
            long to = hi - off;
            if (Long.compareUnsigned(from, aSize.last()) > 0) {
                continue;
            }
            walk(a, from, Long.compareUnsigned(to, aSize.last()) > 0 ? aSize.last() : to);
        }
    }

    private void add(MemoryRegion root, long start, long last) {
        LongArrayList w = windows.computeIfAbsent(root, k -> new LongArrayList());
        w.add(start);
        w.add(last);
        if (w.size() > 2 * MAX_WINDOWS) {
            long[] merged = merge(w);
            w.clear();
            w.add(merged[0]);
            w.add(merged[merged.length - 1]);
        }
    }

    /** Whether the next commit must render every view whole. */
    boolean wholeRender() {
        return whole;
    }

    /**
     * The windows recorded for {@code root}, sorted, disjoint and not adjacent: {@code [start0, last0, start1,
     * last1, ...]}; empty if nothing it renders changed.
     */
    long[] windows(MemoryRegion root) {
        LongArrayList w = windows.get(root);
        return w == null ? new long[0] : merge(w);
    }

    private static long[] merge(LongArrayList w) {
        int n = w.size() / 2;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long[] a = w.elements();
        IntArrays.quickSort(order, (x, y) -> Long.compareUnsigned(a[2 * x], a[2 * y]));
        LongArrayList out = new LongArrayList(2 * n);
        for (int k = 0; k < n; k++) {
            long start = a[2 * order[k]];
            long last = a[2 * order[k] + 1];
            int m = out.size();
            // overlapping or adjacent to the previous window: extend it
            if (m > 0 && (out.getLong(m - 1) == -1L || Long.compareUnsigned(start, out.getLong(m - 1) + 1) <= 0)) {
                if (Long.compareUnsigned(last, out.getLong(m - 1)) > 0) {
                    out.set(m - 1, last);
                }
            } else {
                out.add(start);
                out.add(last);
            }
        }
        return out.toLongArray();
    }

    /** The transaction committed: the views now published render from {@code published}. */
    void committed(Set<MemoryRegion> published) {
        windows.clear();
        whole = false;
        Set<MemoryRegion> r = Collections.newSetFromMap(new IdentityHashMap<>());
        r.addAll(published);
        roots = r;
    }
}
