package dev.mmiomediator.memory;

/**
 * One range of a {@link FlatView}: the inclusive address range {@code [start, last]} answered by the leaf
 * region {@link #region()} at {@link #offsetInRegion()}, with the attributes inherited on the way down
 * (QEMU's {@code FlatRange}).
 *
 * <p>Immutable.
 */
public final class FlatRange {
    private final long start;
    private final long last;
    private final MemoryRegion region;
    private final long offsetInRegion;
    private final boolean readOnly;
    private final boolean nonVolatile;
    private final boolean romdMode;
    private final PassthroughBar passthroughBar;
    private final long offsetInBar;

    /** A range; {@code start <= last} unsigned. It lies in no passthrough BAR. */
    public FlatRange(long start, long last, MemoryRegion region, long offsetInRegion,
                     boolean readOnly, boolean nonVolatile, boolean romdMode) {
        this(start, last, region, offsetInRegion, readOnly, nonVolatile, romdMode, null, 0);
    }

    FlatRange(long start, long last, MemoryRegion region, long offsetInRegion, boolean readOnly, boolean nonVolatile,
              boolean romdMode, PassthroughBar passthroughBar, long offsetInBar) {
        if (Long.compareUnsigned(start, last) > 0) {
            throw new IllegalArgumentException("range " + Size.hex(start) + "-" + Size.hex(last) + ": start after last");
        }
        this.start = start;
        this.last = last;
        this.region = region;
        this.offsetInRegion = offsetInRegion;
        this.readOnly = readOnly;
        this.nonVolatile = nonVolatile;
        this.romdMode = romdMode;
        this.passthroughBar = passthroughBar;
        this.offsetInBar = offsetInBar;
    }

    /** First address of the range. */
    public long start() {
        return start;
    }

    /** Last address of the range (inclusive). */
    public long last() {
        return last;
    }

    /** The range's size, 1 to 2<sup>64</sup>. */
    public Size size() {
        return Size.ofLast(last - start);
    }

    /** The leaf region that answers this range (never an alias or container). */
    public MemoryRegion region() {
        return region;
    }

    /** Where {@link #start()} falls inside {@link #region()}, from the region's start. */
    public long offsetInRegion() {
        return offsetInRegion;
    }

    /** Whether the range is read-only (the region or anything on the path to it is). */
    public boolean readOnly() {
        return readOnly;
    }

    /** Whether the range is non-volatile. */
    public boolean nonVolatile() {
        return nonVolatile;
    }

    /** The ROMD mode the region had when the view was rendered. */
    public boolean romdMode() {
        return romdMode;
    }

    /**
     * The passthrough BAR whose subtree holds {@link #region()} (the region itself or a container above it) when
     * the view was rendered, or {@code null}. The renderer records it so that views built from this range need not
     * walk the region tree again.
     */
    public PassthroughBar passthroughBar() {
        return passthroughBar;
    }

    /** Where {@link #start()} falls inside {@link #passthroughBar()}'s region; 0 when there is none. */
    public long offsetInBar() {
        return offsetInBar;
    }

    /** Whether {@code address} (unsigned) lies in this range. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, last) <= 0;
    }

    /**
     * QEMU's {@code can_merge}: {@code next} starts right after this range, in the same region, at the offset
     * right after this range's last one. A range that ends at the region's offset 2<sup>64</sup>-1 has no
     * offset after it (QEMU compares in 128 bits), so it never merges with one at offset 0.
     */
    boolean canMerge(FlatRange next) {
        long lastOffset = offsetInRegion + (last - start);
        return last + 1 == next.start && last != -1L
                && region == next.region
                && lastOffset != -1L && lastOffset + 1 == next.offsetInRegion
                && readOnly == next.readOnly
                && nonVolatile == next.nonVolatile
                && romdMode == next.romdMode;
    }

    /** Whether {@code o} is the same range with the same attributes (every field equal). */
    boolean sameAs(FlatRange o) {
        return start == o.start && last == o.last && region == o.region && offsetInRegion == o.offsetInRegion
                && readOnly == o.readOnly && nonVolatile == o.nonVolatile && romdMode == o.romdMode
                && java.util.Objects.equals(passthroughBar, o.passthroughBar) && offsetInBar == o.offsetInBar;
    }

    /** The part {@code [from, to]} of this range (within it), with its offsets moved along. */
    FlatRange cut(long from, long to) {
        long d = from - start;
        return new FlatRange(from, to, region, offsetInRegion + d, readOnly, nonVolatile, romdMode, passthroughBar,
                passthroughBar == null ? 0 : offsetInBar + d);
    }

    FlatRange mergedWith(FlatRange next) {
        return new FlatRange(start, next.last, region, offsetInRegion, readOnly, nonVolatile, romdMode,
                passthroughBar, offsetInBar);
    }

    @Override
    public String toString() {
        return Size.hex16(start) + "-" + Size.hex16(last) + " " + region.kind() + (readOnly ? " ro " : " ") + region.name()
                + (offsetInRegion != 0 ? " @" + Size.hex16(offsetInRegion) : "");
    }
}
