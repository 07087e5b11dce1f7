package dev.mmiomediator.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders a region tree into a {@link FlatView}, following QEMU's {@code render_memory_region},
 * {@code flatview_simplify} and {@code memory_region_get_flatview_root}.
 *
 * <p>Region bases are computed in 128 bits: an alias subtracts its target's address and its offset from
 * the base, which can go below zero or past 2<sup>64</sup> before clipping brings it back.
 *
 * <p><b>Note:</b> not thread-safe; called with the system lock held.
 */
final class Renderer {
    /** A signed 128-bit value {@code hi * 2^64 + unsigned(lo)}. */
    private record Wide(long hi, long lo) {
        static final Wide ZERO = new Wide(0, 0);

        Wide plus(long unsigned) {
            long s = lo + unsigned;
            return new Wide(hi + (Long.compareUnsigned(s, lo) < 0 ? 1 : 0), s);
        }

        Wide minus(long unsigned) {
            long d = lo - unsigned;
            return new Wide(hi - (Long.compareUnsigned(lo, unsigned) < 0 ? 1 : 0), d);
        }
    }

    /** A range being built: mutable until the view is frozen. */
    private static final class Piece {
        final long start;
        final long last;
        final MemoryRegion region;
        final long offset;
        final boolean readOnly;
        final boolean nonVolatile;

        Piece(long start, long last, MemoryRegion region, long offset, boolean readOnly, boolean nonVolatile) {
            this.start = start;
            this.last = last;
            this.region = region;
            this.offset = offset;
            this.readOnly = readOnly;
            this.nonVolatile = nonVolatile;
        }
    }

    /** The pieces claimed so far, by {@link UnsignedKeys#key} of their start (natural order: no comparator call). */
    private final TreeMap<Long, Piece> pieces = new TreeMap<>();
    /** Whether only windows of the view are rendered: then large containers visit only the children in the window. */
    private final boolean windowed;
    private int[] ranks = new int[16];
    private final int[] rankCount = new int[1];

    private Renderer(boolean windowed) {
        this.windowed = windowed;
    }

    /**
     * A view covering more than this many ranges of the previous view (and more than half of it) is rendered
     * whole rather than patched: the windows would cost as much as the whole tree.
     */
    static final int PATCH_MIN_RANGES = 64;

    /** The region QEMU renders an address space from: see {@code memory_region_get_flatview_root}. */
    static MemoryRegion flatViewRoot(MemoryRegion mr) {
        while (mr != null && mr.enabledUnlocked()) {
            if (mr.aliasTarget() != null) {
                MemoryRegion target = mr.aliasTarget();
                if (mr.aliasOffsetUnlocked() == 0 && mr.sizeUnlocked().compareTo(target.sizeUnlocked()) >= 0) {
                    // the alias shows its target whole: render the target, so views can be shared
                    mr = target;
                    continue;
                }
            } else if (!mr.terminates()) {
                int found = 0;
                MemoryRegion next = null;
                for (MemoryRegion child : mr.subregionsUnlocked()) {
                    if (child.enabledUnlocked()) {
                        if (++found > 1) {
                            next = null;
                            break;
                        }
                        if (child.addressUnlocked() == 0 && mr.sizeUnlocked().compareTo(child.sizeUnlocked()) >= 0) {
                            next = child;
                        }
                    }
                }
                if (found == 0) {
                    return null;
                }
                if (next != null) {
                    mr = next;
                    continue;
                }
            }
            return mr;
        }
        return null;
    }

    /** Renders the view for an address space rooted at {@code asRoot}. */
    static FlatView renderAddressSpace(MemoryRegion asRoot) {
        return renderFrom(flatViewRoot(asRoot));
    }

    /** Renders from {@code root} exactly (no flat-view-root descent); {@code null} gives an empty view. */
    static FlatView renderFrom(MemoryRegion root) {
        return renderFrom(root, FlatView.empty());
    }

    /**
     * Renders from {@code root} exactly, reusing each range of {@code previous} that comes out the same, so that
     * consumers of successive views (the mediator) can tell unchanged ranges by identity.
     */
    static FlatView renderFrom(MemoryRegion root, FlatView previous) {
        if (root == null) {
            return new FlatView(null, new FlatRange[0]);
        }
        Renderer r = new Renderer(false);
        r.render(root, Wide.ZERO, 0, -1L, false, false);
        FlatRange[] ranges = r.simplified();
        int j = 0;
        for (int i = 0; i < ranges.length; i++) {
            long start = UnsignedKeys.key(ranges[i].start());
            while (j < previous.size() && UnsignedKeys.key(previous.range(j).start()) < start) {
                j++;
            }
            if (j < previous.size() && previous.range(j).sameAs(ranges[i])) {
                ranges[i] = previous.range(j);
            }
        }
        return new FlatView(root, ranges);
    }

    /**
     * The view of {@code root} after a change that touched only {@code windows} ({@code [start0, last0, start1,
     * last1, ...]}, sorted, disjoint, not adjacent, in the root's frame) since {@code previous} was rendered from
     * the same root: the windows are rendered (visiting only the regions that overlap them) and spliced into
     * {@code previous}, whose ranges outside them are kept (cut at a window's edge), and ranges that meet across an
     * edge are merged again, so the result equals a whole render. Every range equal to one of {@code previous} is
     * that object. Returns {@code previous} itself when there is no window, and {@code null} when the windows cover
     * most of the view: render it whole then.
     */
    static FlatView patch(MemoryRegion root, FlatView previous, long[] windows) {
        if (windows.length == 0) {
            return previous;
        }
        int n = previous.size();
        int covered = 0;
        for (int w = 0; w < windows.length; w += 2) {
            covered += overlapCount(previous, windows[w], windows[w + 1]);
        }
        if (covered > PATCH_MIN_RANGES && covered > n / 2) {
            return null;
        }
        Renderer r = new Renderer(true);
        for (int w = 0; w < windows.length; w += 2) {
            r.render(root, Wide.ZERO, windows[w], windows[w + 1], false, false);
        }
        FlatRange[] fresh = r.simplified(); // every piece lies in a window, and windows are apart: no merge across
        Splice out = new Splice(n + fresh.length + windows.length);
        int p = 0;          // the next range of previous
        FlatRange head = n > 0 ? previous.range(0) : null; // that range, or what remains of it past a window
        int f = 0;
        for (int w = 0; w < windows.length; w += 2) {
            long a = windows[w];
            long b = windows[w + 1];
            while (head != null && Long.compareUnsigned(head.last(), a) < 0) {
                out.keep(head);
                head = ++p < n ? previous.range(p) : null;
            }
            if (head != null && Long.compareUnsigned(head.start(), a) < 0) {
                out.add(head.cut(head.start(), a - 1));
            }
            while (head != null && Long.compareUnsigned(head.start(), b) <= 0) {
                if (Long.compareUnsigned(head.last(), b) <= 0) {
                    head = ++p < n ? previous.range(p) : null;
                } else {
                    head = head.cut(b + 1, head.last()); // b < head.last() <= 2^64-1: no overflow
                }
            }
            while (f < fresh.length && Long.compareUnsigned(fresh[f].start(), b) <= 0) {
                out.add(fresh[f++]);
            }
        }
        while (head != null) {
            out.keep(head);
            head = ++p < n ? previous.range(p) : null;
        }
        return new FlatView(root, out.toArray(previous));
    }

    /** How many ranges of {@code view} overlap {@code [a, b]} (ranges are disjoint: their lasts ascend too). */
    private static int overlapCount(FlatView view, long a, long b) {
        int from = view.floorIndex(a);
        if (from < 0 || Long.compareUnsigned(view.range(from).last(), a) < 0) {
            from++;
        }
        return Math.max(0, view.floorIndex(b) + 1 - from);
    }

    /**
     * Ranges in address order, each merged into the one before it where QEMU's {@code can_merge} allows, noting
     * which ones are not ranges of the previous view kept as they were.
     */
    private static final class Splice {
        private FlatRange[] a;
        private boolean[] made;
        private int n;

        Splice(int capacity) {
            a = new FlatRange[capacity];
            made = new boolean[capacity];
        }

        /** Adds a range of the previous view, unchanged. */
        void keep(FlatRange r) {
            append(r, false);
        }

        /** Adds a range that was rendered or cut now. */
        void add(FlatRange r) {
            append(r, true);
        }

        private void append(FlatRange r, boolean isNew) {
            if (n > 0 && a[n - 1].canMerge(r)) {
                a[n - 1] = a[n - 1].mergedWith(r);
                made[n - 1] = true;
            } else {
                if (n == a.length) {
                    a = Arrays.copyOf(a, n * 2 + 1);
                    made = Arrays.copyOf(made, n * 2 + 1);
                }
                made[n] = isNew;
                a[n++] = r;
            }
        }

        /** The ranges; each new one equal to a range of {@code previous} (cut at an edge, merged again) is that one. */
        FlatRange[] toArray(FlatView previous) {
            FlatRange[] out = n == a.length ? a : Arrays.copyOf(a, n);
            for (int i = 0; i < n; i++) {
                if (made[i]) {
                    int j = previous.floorIndex(out[i].start());
                    if (j >= 0 && previous.range(j).sameAs(out[i])) {
                        out[i] = previous.range(j);
                    }
                }
            }
            return out;
        }
    }

    private void render(MemoryRegion mr, Wide base, long clipStart, long clipLast, boolean readOnly, boolean nonVolatile) {
        if (!mr.enabledUnlocked()) {
            return;
        }
        base = base.plus(mr.addressUnlocked());
        readOnly |= mr.readOnlyUnlocked();
        nonVolatile |= mr.nonVolatileUnlocked();
        Size size = mr.sizeUnlocked();
        if (size.isZero()) {
            return;
        }
        Wide regionLast = base.plus(size.last());
        if (base.hi() > 0 || regionLast.hi() < 0) {
            return; // wholly at or above 2^64, or wholly below 0: outside any clip
        }
        // [start, last] = [base, regionLast] clipped to [clipStart, clipLast], which lies in [0, 2^64)
        long start = base.hi() < 0 || Long.compareUnsigned(base.lo(), clipStart) < 0 ? clipStart : base.lo();
        long last = regionLast.hi() > 0 || Long.compareUnsigned(regionLast.lo(), clipLast) > 0 ? clipLast : regionLast.lo();
        if (Long.compareUnsigned(start, last) > 0) {
            return;
        }

        MemoryRegion target = mr.aliasTarget();
        if (target != null) {
            Wide targetBase = base.minus(target.addressUnlocked()).minus(mr.aliasOffsetUnlocked());
            render(target, targetBase, start, last, readOnly, nonVolatile);
            return;
        }
        List<MemoryRegion> children = mr.subregionsUnlocked();
        ChildIndex index = windowed ? mr.childIndexUnlocked() : null;
        if (index != null) {
            // start - base and last - base are exact in the low word (see offsetOfStart below)
            int[] found = index.overlapping(start - base.lo(), last - base.lo(), ranks, rankCount);
            int n = rankCount[0];
            ranks = null; // a nested container uses a buffer of its own while this one is walked
            for (int i = 0; i < n; i++) {
                render(children.get(found[i]), base, start, last, readOnly, nonVolatile);
            }
            ranks = found;
        } else {
            for (MemoryRegion child : children) {
                render(child, base, start, last, readOnly, nonVolatile);
            }
        }
        if (!mr.terminates()) {
            return;
        }
        long offsetOfStart = start - base.lo(); // start >= base and start - base < size <= 2^64: the low word is exact
        fillGaps(mr, start, last, offsetOfStart, readOnly, nonVolatile);
    }

    /** Claims every address of {@code [start, last]} not yet claimed, for {@code mr}. */
    private void fillGaps(MemoryRegion mr, long start, long last, long offsetOfStart,
                          boolean readOnly, boolean nonVolatile) {
        long cur = start;
        Map.Entry<Long, Piece> before = pieces.floorEntry(UnsignedKeys.key(start));
        if (before != null && Long.compareUnsigned(before.getValue().last, start) >= 0) {
            if (Long.compareUnsigned(before.getValue().last, last) >= 0) {
                return;
            }
            cur = before.getValue().last + 1;
        }
        // from cur on, every piece that starts at or before last; each gap before one is claimed as it is found
        while (true) {
            Map.Entry<Long, Piece> next = pieces.ceilingEntry(UnsignedKeys.key(cur));
            Piece p = next == null ? null : next.getValue();
            if (p == null || Long.compareUnsigned(p.start, last) > 0) {
                claim(mr, cur, last, start, offsetOfStart, readOnly, nonVolatile);
                return;
            }
            if (Long.compareUnsigned(p.start, cur) > 0) {
                claim(mr, cur, p.start - 1, start, offsetOfStart, readOnly, nonVolatile);
            }
            if (Long.compareUnsigned(p.last, last) >= 0) {
                return;
            }
            cur = p.last + 1;
        }
    }

    private void claim(MemoryRegion mr, long from, long to, long start, long offsetOfStart,
                       boolean readOnly, boolean nonVolatile) {
        pieces.put(UnsignedKeys.key(from), new Piece(from, to, mr, offsetOfStart + (from - start), readOnly, nonVolatile));
    }

    private FlatRange[] simplified() {
        List<FlatRange> out = new ArrayList<>(pieces.size());
        BarAbove bars = new BarAbove();
        for (Piece p : pieces.values()) {
            PassthroughBar bar = p.region.passthroughBarUnlocked();
            long offsetInBar = p.offset;
            if (bar == null && bars.find(p.region.containerUnlocked())) {
                bar = bars.bar;
                offsetInBar += p.region.addressUnlocked() + bars.offset;
            }
            FlatRange fr = new FlatRange(p.start, p.last, p.region, p.offset, p.readOnly, p.nonVolatile,
                    p.region.romdModeUnlocked(), bar, bar == null ? 0 : offsetInBar);
            if (!out.isEmpty() && out.get(out.size() - 1).canMerge(fr)) {
                out.set(out.size() - 1, out.get(out.size() - 1).mergedWith(fr));
            } else {
                out.add(fr);
            }
        }
        return out.toArray(new FlatRange[0]);
    }

    /**
     * The walk from a container up to the passthrough BAR whose subtree holds it (the container chain, not the
     * rendering path: a BAR's alias elsewhere shows the BAR, an alias inside a BAR to RAM shows RAM), remembered for
     * the last container asked about, as consecutive pieces mostly share their container.
     */
    private static final class BarAbove {
        private MemoryRegion container;
        private boolean found;
        /** The BAR above the last container asked about. */
        PassthroughBar bar;
        /** Where that container starts in the BAR. */
        long offset;

        /** Whether {@code c} (null: none) or a region above it is a BAR; if so sets {@link #bar} and {@link #offset}. */
        boolean find(MemoryRegion c) {
            if (c != container || c == null) {
                container = c;
                found = false;
                long at = 0;
                for (MemoryRegion x = c; x != null; x = x.containerUnlocked()) {
                    PassthroughBar b = x.passthroughBarUnlocked();
                    if (b != null) {
                        found = true;
                        bar = b;
                        offset = at;
                        break;
                    }
                    at += x.addressUnlocked();
                }
            }
            return found;
        }
    }
}
