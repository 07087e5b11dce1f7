package dev.mmiomediator.benchmarks.lookup;

/**
 * A Java rendition of rust-vmm vm-memory's guest memory lookup: {@code GuestMemoryAtomic} publishes an
 * immutable {@code GuestMemoryMmap} (a {@code Vec} of {@code Arc}-held regions sorted by start) through an
 * {@code ArcSwap}, and {@code find_region} binary-searches the regions by their start address
 * ({@code binary_search_by_key(&addr, |r| r.start_addr())}), then checks the previous region's last address.
 *
 * <p>What the rendition keeps: a copy-on-write snapshot read with one volatile load (the {@code ArcSwap} load;
 * arc-swap's debt bookkeeping is left out), and a binary search over an array of region objects that reads
 * each probed region's start through its reference, as the Rust code does through each {@code Arc}. The loop
 * is written out because {@link java.util.Arrays#binarySearch(Object[], Object, java.util.Comparator)} would
 * need a probe object per lookup.
 *
 * <p><b>Note:</b> thread-safe; readers never block.
 */
public final class VmMemoryLookup implements RangeLookup {
    private volatile Range[] regions;

    /** Guest memory made of the ranges of {@code map}. */
    public VmMemoryLookup(RangeMap map) {
        regions = map.ranges();
    }

    @Override
    public Object find(long address) {
        Range[] rs = regions;
        int lo = 0;
        int hi = rs.length;
        while (lo < hi) { // the first region starting above address
            int mid = (lo + hi) >>> 1;
            if (rs[mid].start() <= address) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == 0) {
            return null;
        }
        Range r = rs[lo - 1];
        return address <= r.last() ? r : null;
    }
}
