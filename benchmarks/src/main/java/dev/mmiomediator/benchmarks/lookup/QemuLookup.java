package dev.mmiomediator.benchmarks.lookup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Java rendition of QEMU's dispatch ({@code system/physmem.c}): {@code address_space_lookup_region} first
 * checks the dispatch's last-hit section ({@code mru_section}), then walks {@code phys_map}, a radix table of
 * guest pages with 512 entries (9 bits) per level, to the section of the address's page; a page shared by
 * several sections points to a subpage that resolves the byte.
 *
 * <p>What the rendition keeps: the last-hit check (a plain field, as the benchmark has one reader), a
 * page-granular radix table of {@code int[512]} nodes with only as many levels as the map's span needs (what
 * {@code phys_page_compact} achieves by skipping empty levels), and, in place of the subpage table, a step
 * from the page's first section to the section that holds the byte (one or two compares in this map, where a
 * range and a hole share each page). Addresses past the table are misses, as QEMU's unassigned section.
 *
 * <p><b>Note:</b> not thread-safe (the last-hit field); read-only otherwise.
 */
public final class QemuLookup implements RangeLookup {
    private static final int PAGE_BITS = 12;
    private static final int LEVEL_BITS = 9;
    private static final int LEVEL_MASK = (1 << LEVEL_BITS) - 1;
    private static final int NIL = -1;

    private final Range[] ranges;
    private final long[] starts;
    private final int[][] nodes; // nodes[0] is the root; inner entries index nodes, leaf entries index ranges
    private final int levels;
    private final long lastPage;
    private Range mru;

    /** The radix table of the pages of {@code map}. */
    public QemuLookup(RangeMap map) {
        ranges = map.ranges();
        int n = ranges.length;
        starts = new long[n];
        for (int i = 0; i < n; i++) {
            starts[i] = ranges[i].start();
        }
        lastPage = ranges[n - 1].last() >>> PAGE_BITS;
        int pageBits = Math.max(1, 64 - Long.numberOfLeadingZeros(lastPage));
        levels = (pageBits + LEVEL_BITS - 1) / LEVEL_BITS;
        List<int[]> built = new ArrayList<>();
        built.add(newNode());
        int first = 0; // the first range that does not end before the page
        for (long page = 0; page <= lastPage; page++) {
            long pageStart = page << PAGE_BITS;
            while (first < n && ranges[first].last() < pageStart) {
                first++;
            }
            if (first < n && ranges[first].start() <= pageStart + (1 << PAGE_BITS) - 1) {
                leaf(built, page)[(int) page & LEVEL_MASK] = first;
            }
        }
        nodes = built.toArray(new int[0][]);
    }

    private static int[] newNode() {
        int[] node = new int[1 << LEVEL_BITS];
        Arrays.fill(node, NIL);
        return node;
    }

    /** The leaf node of {@code page}, creating the path to it (phys_page_set). */
    private int[] leaf(List<int[]> built, long page) {
        int[] node = built.get(0);
        for (int level = levels - 1; level > 0; level--) {
            int slot = (int) (page >>> (level * LEVEL_BITS)) & LEVEL_MASK;
            if (node[slot] == NIL) {
                node[slot] = built.size();
                built.add(newNode());
            }
            node = built.get(node[slot]);
        }
        return node;
    }

    @Override
    public Object find(long address) {
        Range r = mru;
        if (r != null && r.contains(address)) {
            return r;
        }
        long page = address >>> PAGE_BITS;
        if (page > lastPage) {
            return null;
        }
        int[] node = nodes[0];
        for (int level = levels - 1; level > 0; level--) {
            int next = node[(int) (page >>> (level * LEVEL_BITS)) & LEVEL_MASK];
            if (next == NIL) {
                return null;
            }
            node = nodes[next];
        }
        int i = node[(int) page & LEVEL_MASK];
        if (i == NIL) {
            return null;
        }
        while (i + 1 < starts.length && starts[i + 1] <= address) { // the subpage step
            i++;
        }
        r = ranges[i];
        if (!r.contains(address)) {
            return null;
        }
        mru = r;
        return r;
    }
}
