package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The passthrough (VFIO) BARs a flat dump shows, found from QEMU's range names. A flat dump has no tree, so a
 * BAR is visible only through its pieces: ranges named {@code DDDD:BB:DD.F BAR n} (the trapping BAR region) or
 * {@code DDDD:BB:DD.F BAR n mmaps[k]} (its mmap'd ram devices). Per view:
 * <ul>
 *   <li>a piece's {@code @OFFSET} is its offset in its own region, so {@code start - offset} is where that region
 *       starts: the BAR's start for a {@code BAR n} piece and for {@code mmaps[0]} (QEMU maps it at the BAR's
 *       offset 0 in practice), a later address for a {@code mmaps[k]} piece placed further in;</li>
 *   <li>a BAR's extent runs from the lowest such start to the end of its last piece;</li>
 *   <li>every range wholly inside that extent belongs to the BAR, whatever its name: QEMU's quirk and MSI-X
 *       regions (say {@code vfio-nvidia-bar0-88000-mirror-quirk}, {@code msix-table}) sit inside the BAR in
 *       the tree. A range named for another BAR belongs to that BAR; an unnamed range inside the extents of
 *       two BARs (a guest that programmed overlapping BARs) belongs to the lower one.</li>
 * </ul>
 * A part of a BAR that renders nothing (or only unnamed ranges) before its first piece or after its last is
 * not visible in a flat dump, so the extent can be shorter than the BAR.
 *
 * <p>Immutable results; the methods are stateless and thread-safe.
 */
public final class FlatDumpBars {
    private FlatDumpBars() {
    }

    /**
     * One BAR as one view shows it.
     *
     * @param bar    the passthrough BAR
     * @param start  the first address of its inferred extent
     * @param last   the last address of its inferred extent (the end of its last piece)
     * @param pieces the number of ranges named for the BAR ({@code BAR n} or {@code BAR n mmaps[k]})
     * @param ranges every range that belongs to the BAR, in address order: its pieces and the unnamed ranges inside
     *               its extent
     */
    public record Bar(PassthroughBar bar, long start, long last, int pieces, List<FlatDump.Range> ranges) {
        /** Validates the extent and copies the list. */
        public Bar {
            Objects.requireNonNull(bar, "bar");
            if (Long.compareUnsigned(start, last) > 0) {
                throw new IllegalArgumentException(bar + " extent " + Size.hex(start) + "-" + Size.hex(last)
                        + ": expected start <= last");
            }
            ranges = List.copyOf(ranges);
        }

        /** The extent's size, 1 to 2<sup>64</sup>. */
        public Size size() {
            return Size.ofLast(last - start);
        }

        @Override
        public String toString() {
            return bar + " " + Size.hex16(start) + "-" + Size.hex16(last) + " (" + ranges.size() + " ranges)";
        }
    }

    /**
     * The BARs of one view.
     *
     * @param view the view
     * @param bars its BARs, by ascending start
     */
    public record ViewBars(FlatDump.View view, List<Bar> bars) {
        public ViewBars {
            Objects.requireNonNull(view, "view");
            bars = List.copyOf(bars);
        }

        /** The BAR entry of {@code bar} in this view, or {@code null}. */
        public Bar find(PassthroughBar bar) {
            for (Bar b : bars) {
                if (b.bar().equals(bar)) {
                    return b;
                }
            }
            return null;
        }
    }

    /**
     * The BARs of every view of {@code dump}, one entry per view in the dump's order (views without BARs have an
     * empty list).
     *
     * @throws MtreeFormatException naming the line of a piece whose offset exceeds its start
     */
    public static List<ViewBars> find(FlatDump dump) {
        List<ViewBars> out = new ArrayList<>(dump.views().size());
        for (FlatDump.View v : dump.views()) {
            out.add(new ViewBars(v, find(v, dump.source())));
        }
        return out;
    }

    /**
     * The BARs of one view, by ascending start.
     *
     * @param source the dump's name, for error messages
     * @throws MtreeFormatException naming the line of a piece whose offset exceeds its start (its region would
     *         start below address 0)
     */
    public static List<Bar> find(FlatDump.View view, String source) {
        Map<PassthroughBar, long[]> extents = new LinkedHashMap<>(); // start, last, pieces
        for (FlatDump.Range r : view.ranges()) {
            VfioRegionName name = VfioRegionName.parse(r.name());
            if (name == null) {
                continue;
            }
            if (Long.compareUnsigned(r.offset(), r.start()) > 0) {
                throw new MtreeFormatException(source, r.line(), "'" + MtreeText.abbreviate(r.name()) + "' at " + Size.hex(r.start()) + " @"
                        + Size.hex(r.offset()) + ": the offset exceeds the start, so its region would start below "
                        + "address 0");
            }
            long base = r.start() - r.offset();
            long[] e = extents.computeIfAbsent(name.passthroughBar(), k -> new long[] {base, r.last(), 0});
            if (Long.compareUnsigned(base, e[0]) < 0) {
                e[0] = base;
            }
            if (Long.compareUnsigned(r.last(), e[1]) > 0) {
                e[1] = r.last();
            }
            e[2]++;
        }
        if (extents.isEmpty()) {
            return List.of();
        }
        List<PassthroughBar> order = new ArrayList<>(extents.keySet());
        order.sort((a, b) -> Long.compareUnsigned(extents.get(a)[0], extents.get(b)[0]));
        Map<PassthroughBar, List<FlatDump.Range>> members = new LinkedHashMap<>();
        order.forEach(b -> members.put(b, new ArrayList<>()));
        for (FlatDump.Range r : view.ranges()) {
            VfioRegionName name = VfioRegionName.parse(r.name());
            if (name != null) {
                members.get(name.passthroughBar()).add(r);
                continue;
            }
            for (PassthroughBar b : order) {
                long[] e = extents.get(b);
                if (Long.compareUnsigned(r.start(), e[0]) >= 0 && Long.compareUnsigned(r.last(), e[1]) <= 0) {
                    members.get(b).add(r);
                    break;
                }
            }
        }
        List<Bar> out = new ArrayList<>(order.size());
        for (PassthroughBar b : order) {
            long[] e = extents.get(b);
            out.add(new Bar(b, e[0], e[1], (int) e[2], members.get(b)));
        }
        return out;
    }
}
