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
    private MemoryRegion[] overlapping = new MemoryRegion[16];
    private final int[] foundCount = new int[1];

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
        Splice out = new Splice(previous, n + fresh.length + windows.length);
        int p = 0;          // the next range of previous
        FlatRange head = null; // what remains of range p past the last window, if it was cut there
        int f = 0;
        for (int w = 0; w < windows.length; w += 2) {
            long a = windows[w];
            long b = windows[w + 1];
            int q = firstEndingAtOrAfter(previous, a); // ranges p..q-1 end before the window
            if (head != null && q > p) {
                out.add(head);
                head = null;
                p++;
            }
            if (head == null) {
                out.keepRun(p, Math.max(p, q)); // untouched: copied, never read
                p = Math.max(p, q);
            }
            if (w == 0) {
                out.changedFrom = out.n; // the first window: every range so far is the previous view's, where it was
            }
            FlatRange cur = head != null ? head : p < n ? previous.range(p) : null;
            if (cur != null && Long.compareUnsigned(cur.start(), a) < 0) {
                out.add(cur.cut(cur.start(), a - 1));
            }
            // skip what the window covers; the range running past its end leaves a remainder
            int last = previous.floorIndex(b);
            head = null;
            if (last >= p) {
                p = last;
                FlatRange l = previous.range(last);
                if (Long.compareUnsigned(l.last(), b) > 0) {
                    head = l.cut(b + 1, l.last()); // b < l.last() <= 2^64-1: no overflow
                } else {
                    p++;
                }
            }
            while (f < fresh.length && Long.compareUnsigned(fresh[f].start(), b) <= 0) {
                out.add(fresh[f++]);
            }
        }
        if (head != null) {
            out.add(head);
            p++;
        }
        out.keepTail(p, n);
        return out.view(root);
    }

    /** The index of the first range of {@code view} whose last address is at or after {@code a}. */
    private static int firstEndingAtOrAfter(FlatView view, long a) {
        int i = view.floorIndex(a);
        return i >= 0 && Long.compareUnsigned(view.range(i).last(), a) >= 0 ? i : i + 1;
    }

    /** How many ranges of {@code view} overlap {@code [a, b]} (ranges are disjoint: their lasts ascend too). */
    private static int overlapCount(FlatView view, long a, long b) {
        return Math.max(0, view.floorIndex(b) + 1 - firstEndingAtOrAfter(view, a));
    }

    /**
     * A view being spliced: runs of the previous view copied whole (ranges and keys, with no range read: a commit
     * at 65,536 ranges must not touch 65,536 objects), and ranges rendered or cut now, each merged into the one
     * before it where QEMU's {@code can_merge} allows.
     */
    private static final class Splice {
        private final FlatView previous;
        private FlatRange[] ranges;
        private long[] keys;
        private int n;
        /** Positions holding a range made now (rendered, cut, or merged). */
        private int[] made = new int[8];
        private int madeCount;
        /** Ranges before this index are the previous view's, at the same indices. */
        int changedFrom;
        /** Ranges from this index on are the previous view's, from {@link #keptFromBefore} on. */
        private int keptFrom;
        private int keptFromBefore;

        Splice(FlatView previous, int capacity) {
            this.previous = previous;
            ranges = new FlatRange[capacity];
            keys = new long[capacity];
        }

        /** Adds ranges {@code from} to {@code to - 1} of the previous view, unchanged. */
        void keepRun(int from, int to) {
            if (from >= to) {
                return;
            }
            grow(to - from);
            if (n > 0 && ranges[n - 1].canMerge(previous.range(from))) {
                append(previous.range(from)); // merges across the seam; the rest of the run stays apart
                from++;
            }
            int len = to - from;
            System.arraycopy(previous.rangeArray(), from, ranges, n, len);
            System.arraycopy(previous.startKeys(), from, keys, n, len);
            n += len;
        }

        /**
         * Adds ranges {@code from} to {@code n - 1} of the previous view, unchanged, as the last run, and notes where
         * its ranges that are kept as they were (not merged across the seam) start, here and in the previous view.
         */
        void keepTail(int from, int to) {
            while (from < to && n > 0 && ranges[n - 1].canMerge(previous.range(from))) {
                grow(1);
                append(previous.range(from));
                from++;
            }
            keptFrom = n;
            keptFromBefore = from;
            keepRun(from, to);
        }

        /** Adds a range that was rendered or cut now. */
        void add(FlatRange r) {
            grow(1);
            append(r);
        }

        private void append(FlatRange r) {
            if (n > 0 && ranges[n - 1].canMerge(r)) {
                ranges[n - 1] = ranges[n - 1].mergedWith(r);
                mark(n - 1);
            } else {
                ranges[n] = r;
                keys[n] = UnsignedKeys.key(r.start());
                mark(n++);
            }
        }

        private void mark(int i) {
            if (madeCount > 0 && made[madeCount - 1] == i) {
                return;
            }
            if (madeCount == made.length) {
                made = Arrays.copyOf(made, madeCount * 2);
            }
            made[madeCount++] = i;
        }

        private void grow(int more) {
            if (n + more > ranges.length) {
                int cap = Math.max(n + more, ranges.length * 2);
                ranges = Arrays.copyOf(ranges, cap);
                keys = Arrays.copyOf(keys, cap);
            }
        }

        /** The view; each range made now that equals a range of the previous view (cut, merged again) is that one. */
        FlatView view(MemoryRegion root) {
            for (int k = 0; k < madeCount; k++) {
                int i = made[k];
                int j = previous.floorIndex(ranges[i].start());
                if (j >= 0 && previous.range(j).sameAs(ranges[i])) {
                    ranges[i] = previous.range(j);
                }
            }
            // a range made now may have merged into the last one kept before the first window (positions are marked
            // in ascending order)
            int from = madeCount > 0 ? Math.min(changedFrom, made[0]) : changedFrom;
            return new FlatView(root, ranges, keys, n, previous, from, keptFrom, keptFromBefore);
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
            MemoryRegion[] found = index.overlapping(start - base.lo(), last - base.lo(), overlapping, foundCount);
            int n = foundCount[0];
            overlapping = null; // a nested container uses a buffer of its own while this one is walked
            for (int i = 0; i < n; i++) {
                render(found[i], base, start, last, readOnly, nonVolatile);
            }
            overlapping = found;
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
