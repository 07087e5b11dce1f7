package dev.mmiomediator.memory;

import java.util.List;

/**
 * The rendered form of a region tree: sorted, non-overlapping {@link FlatRange}s (QEMU's {@code FlatView}).
 *
 * <p>Immutable and safe to share between threads. Address spaces whose trees render from the same root
 * region share one {@code FlatView} instance, as in QEMU.
 */
public final class FlatView {
    private static final FlatView EMPTY = new FlatView(null, new FlatRange[0]);

    private final MemoryRegion root;
    private final FlatRange[] ranges;
    private final long[] starts;

    /** A view over {@code ranges}, whose starts' {@link UnsignedKeys#key}s are {@code starts} (both kept, not copied). */
    FlatView(MemoryRegion root, FlatRange[] ranges, long[] starts) {
        this.root = root;
        this.ranges = ranges;
        this.starts = starts;
    }

    FlatView(MemoryRegion root, FlatRange[] ranges) {
        this.root = root;
        this.ranges = ranges;
        this.starts = new long[ranges.length];
        for (int i = 0; i < ranges.length; i++) {
            starts[i] = UnsignedKeys.key(ranges[i].start());
        }
    }

    /** A view with no root and no ranges. */
    public static FlatView empty() {
        return EMPTY;
    }

    /**
     * The region the view was rendered from (QEMU's flat-view root, which may be deeper than the address
     * space's root), or {@code null} when nothing is enabled.
     */
    public MemoryRegion root() {
        return root;
    }

    /** The ranges, in address order. */
    public List<FlatRange> ranges() {
        return List.of(ranges);
    }

    /** The number of ranges. */
    public int size() {
        return ranges.length;
    }

    /** The range at {@code index}. */
    public FlatRange range(int index) {
        return ranges[index];
    }

    /** The index of the range containing {@code address}, or -1 if no range does. Never allocates. */
    public int indexOf(long address) {
        int i = UnsignedKeys.floor(starts, address);
        return i >= 0 && Long.compareUnsigned(address, ranges[i].last()) <= 0 ? i : -1;
    }

    /** The ranges' array itself, for splicing: never modify it. */
    FlatRange[] rangeArray() {
        return ranges;
    }

    /** The {@link UnsignedKeys#key}s of the ranges' starts, for splicing: never modify them. */
    long[] startKeys() {
        return starts;
    }

    /** The index of the last range starting at or below {@code address}, or -1. */
    int floorIndex(long address) {
        return UnsignedKeys.floor(starts, address);
    }

    /** The range containing {@code address}, or {@code null}. */
    public FlatRange rangeAt(long address) {
        int i = indexOf(address);
        return i < 0 ? null : ranges[i];
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("FlatView(root=").append(root == null ? "(none)" : root.name()).append(")");
        for (FlatRange r : ranges) {
            sb.append("\n  ").append(r);
        }
        return sb.toString();
    }
}
