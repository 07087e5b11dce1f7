package dev.mmiomediator.memory;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rendered form of a region tree: sorted, non-overlapping {@link FlatRange}s (QEMU's {@code FlatView}).
 *
 * <p>Immutable and safe to share between threads. Address spaces whose trees render from the same root
 * region share one {@code FlatView} instance, as in QEMU.
 */
public final class FlatView {
    /** Serial numbers of views (declared before {@link #EMPTY}, which takes one). */
    private static final AtomicLong SERIALS = new AtomicLong();
    private static final FlatView EMPTY = new FlatView(null, new FlatRange[0]);

    private final MemoryRegion root;
    private final FlatRange[] ranges; // the first size elements
    private final long[] starts;      // UnsignedKeys.key of each range's start; the first size elements
    private final int size;
    /** This view's serial number: distinct for every view made in this JVM. */
    private final long serial = SERIALS.getAndIncrement();
    /** The serial of the view this one was patched from, or -1 if it was rendered whole. */
    private final long patchedFrom;
    /** Ranges {@code [0, changedFrom)} are those of the view patched from, at the same indices. */
    private final int changedFrom;
    /** Ranges from {@code keptFrom} on are those of the view patched from, from its {@code keptFromBefore} on. */
    private final int keptFrom;
    private final int keptFromBefore;

    /**
     * A view over the first {@code size} of {@code ranges}, whose starts' {@link UnsignedKeys#key}s are the first
     * {@code size} of {@code starts} (both kept, not copied: a patched view is not trimmed by one more copy), patched
     * from {@code previous}: its ranges before {@code changedFrom} and from {@code keptFrom} on are those of
     * {@code previous} (the same objects) at indices {@code [0, changedFrom)} and from {@code keptFromBefore} on.
     */
    FlatView(MemoryRegion root, FlatRange[] ranges, long[] starts, int size, FlatView previous, int changedFrom,
             int keptFrom, int keptFromBefore) {
        if (changedFrom < 0 || changedFrom > keptFrom || keptFrom > size || keptFromBefore < changedFrom
                || size - keptFrom != previous.size - keptFromBefore) {
            throw new IllegalStateException("patch window [" + changedFrom + ", " + keptFrom + ") of " + size
                    + " ranges does not match [" + changedFrom + ", " + keptFromBefore + ") of " + previous.size);
        }
        this.root = root;
        this.ranges = ranges;
        this.starts = starts;
        this.size = size;
        this.patchedFrom = previous.serial;
        this.changedFrom = changedFrom;
        this.keptFrom = keptFrom;
        this.keptFromBefore = keptFromBefore;
    }

    FlatView(MemoryRegion root, FlatRange[] ranges) {
        this.root = root;
        this.ranges = ranges;
        this.size = ranges.length;
        this.patchedFrom = -1;
        this.changedFrom = 0;
        this.keptFrom = 0;
        this.keptFromBefore = 0;
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

    /**
     * Where this view differs from {@code previous}, if it was patched from exactly that view: {@code [changedFrom,
     * keptFrom, keptFromBefore]}, meaning that ranges {@code [0, changedFrom)} are those of {@code previous} at the
     * same indices and ranges from {@code keptFrom} on are those of {@code previous} from index
     * {@code keptFromBefore} on (the same objects); {@code null} when that is not known (rendered whole, or patched
     * from another view). A consumer of successive views (the mediator) rebuilds only the ranges in between.
     */
    public int[] changedWindow(FlatView previous) {
        if (previous == this) {
            return new int[] {size, size, size};
        }
        return patchedFrom >= 0 && patchedFrom == previous.serial ? new int[] {changedFrom, keptFrom, keptFromBefore}
                : null;
    }

    /** The ranges, in address order. */
    public List<FlatRange> ranges() {
        return List.of(size == ranges.length ? ranges : Arrays.copyOf(ranges, size));
    }

    /** The number of ranges. */
    public int size() {
        return size;
    }

    /** The range at {@code index}. */
    public FlatRange range(int index) {
        return ranges[Objects.checkIndex(index, size)];
    }

    /** The index of the range containing {@code address}, or -1 if no range does. Never allocates. */
    public int indexOf(long address) {
        int i = floorIndex(address);
        return i >= 0 && Long.compareUnsigned(address, ranges[i].last()) <= 0 ? i : -1;
    }

    /** The ranges' array itself (its first {@link #size()} elements are the ranges), for splicing: never modify it. */
    FlatRange[] rangeArray() {
        return ranges;
    }

    /** The {@link UnsignedKeys#key}s of the ranges' starts, for splicing: never modify them. */
    long[] startKeys() {
        return starts;
    }

    /** The index of the last range starting at or below {@code address}, or -1. */
    int floorIndex(long address) {
        int i = Arrays.binarySearch(starts, 0, size, UnsignedKeys.key(address));
        return i >= 0 ? i : -i - 2;
    }

    /** The range containing {@code address}, or {@code null}. */
    public FlatRange rangeAt(long address) {
        int i = indexOf(address);
        return i < 0 ? null : ranges[i];
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("FlatView(root=").append(root == null ? "(none)" : root.name()).append(")");
        for (FlatRange r : ranges()) {
            sb.append("\n  ").append(r);
        }
        return sb.toString();
    }
}
