package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.RegionKind;

/**
 * The region types {@code info mtree} prints ({@code ram}, {@code rom}, {@code ramd}, {@code romd}, {@code i/o})
 * and how they map to and from {@link RegionKind}: the memory model itself knows nothing of the print format.
 *
 * <p>The mapping loses facts: {@code i/o} stands for MMIO regions, containers and ROM devices out of ROMD
 * mode, and {@code rom} for read-only RAM too; the importer recovers them (see the package documentation).
 */
public final class MtreeTypes {
    private MtreeTypes() {
    }

    /**
     * The type {@code info mtree} prints for {@code region}: {@code ram}, {@code rom}, {@code ramd}, {@code romd}
     * or {@code i/o}. An alias prints its target's type.
     */
    public static String of(MemoryRegion region) {
        MemoryRegion mr = region;
        while (mr.aliasTarget() != null) {
            mr = mr.aliasTarget();
        }
        switch (mr.kind()) {
            case RAM_DEVICE:
                return "ramd";
            case ROM_DEVICE:
                return mr.isRomdMode() ? "romd" : "i/o";
            case ROM:
                return "rom";
            case RAM:
                return mr.isReadOnly() ? "rom" : "ram";
            default:
                return "i/o";
        }
    }

    /** The type QEMU prints for {@code range} in {@code info mtree -f}: {@code rom} when read-only, else its region's. */
    public static String of(FlatRange range) {
        return range.readOnly() ? "rom" : of(range.region());
    }

    /**
     * The type {@code region} prints in the {@link DumpStyle style} given: as {@link #of(MemoryRegion)}, except that
     * with {@link DumpStyle#parentlessAsContainer()} a region whose type would be {@code i/o} prints
     * {@code container} when it (an alias: its final target) is in no container, as recent QEMU prints it.
     */
    public static String of(MemoryRegion region, DumpStyle style) {
        String type = of(region);
        if (style.parentlessAsContainer() && type.equals("i/o")) {
            MemoryRegion mr = region;
            while (mr.aliasTarget() != null) {
                mr = mr.aliasTarget();
            }
            if (mr.container() == null) {
                return "container";
            }
        }
        return type;
    }

    /** As {@link #of(FlatRange)}, in the style given. */
    public static String of(FlatRange range, DumpStyle style) {
        return range.readOnly() ? "rom" : of(range.region(), style);
    }

    /** Whether a printed type leaves the kind open: {@code i/o}, or {@code container} (recent QEMU, see {@link DumpStyle}). */
    static boolean isIoLike(String type) {
        return type.equals("i/o") || type.equals("container");
    }

    /**
     * The kind a printed type stands for, or {@code io} for {@code i/o}, whose kind the type alone does not tell.
     *
     * @param type one of {@code ram}, {@code rom}, {@code ramd}, {@code romd}, {@code i/o}
     */
    static RegionKind kindOf(String type, RegionKind io) {
        switch (type) {
            case "ram": return RegionKind.RAM;
            case "rom": return RegionKind.ROM;
            case "ramd": return RegionKind.RAM_DEVICE;
            case "romd": return RegionKind.ROM_DEVICE;
            default: return io;
        }
    }
}
