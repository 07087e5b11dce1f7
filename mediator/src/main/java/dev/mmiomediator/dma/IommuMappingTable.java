package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A simulated IOMMU mapping table of one passthrough device, kept by a {@link ViewListener} the way QEMU's
 * VFIO listener keeps the container's DMA mappings ({@code vfio_listener_region_add/del}): every
 * {@link Section.Kind#RAM RAM} section of the non-vCPU view is mapped (IOVA range to region and offset,
 * read-only where the section is), and nothing else is. MMIO, ROM device, P2P and FAULT sections are never
 * mapped, so the device can never reach a passthrough BAR through the IOMMU: its DMA there faults, and
 * emulated P2P goes through the mediator instead.
 *
 * <pre>{@code
 * IommuMappingTable iommu = IommuMappingTable.attach(mediator, PciAddress.parse("0000:01:00.0"));
 * IommuMappingTable.Mapping m = iommu.lookup(iova);        // null: the device's DMA at iova faults
 * }</pre>
 *
 * <p>Each change is applied as QEMU does: first the removed sections are unmapped, then the added ones mapped.
 * An unmap of something not mapped, or a map overlapping a mapping, is a bug in the feed; it is recorded
 * ({@link #problems()}) rather than thrown, because the listener runs inside the memory system's commit.
 *
 * <p><b>Note:</b> thread-safe. Updates and queries are serialized by the table's monitor; updates arrive on
 * the thread that commits a topology change.
 */
public final class IommuMappingTable implements ViewListener {
    /**
     * One IOMMU mapping: the inclusive IOVA range {@code [iova, last]} maps to {@code region} from
     * {@code offsetInRegion} on.
     *
     * @param readOnly whether the device may only read (the range is ROM or read-only RAM)
     */
    public record Mapping(long iova, long last, MemoryRegion region, long offsetInRegion, boolean readOnly) {
        /** Checks that the range is not empty. */
        public Mapping {
            Objects.requireNonNull(region, "region");
            if (Long.compareUnsigned(iova, last) > 0) {
                throw new IllegalArgumentException("mapping " + Size.hex(iova) + "-" + Size.hex(last)
                        + ": start after last");
            }
        }

        /** The mapping's size, 1 to 2<sup>64</sup>. */
        public Size size() {
            return Size.ofLast(last - iova);
        }

        /** Whether {@code address} (unsigned) is mapped by this mapping. */
        public boolean contains(long address) {
            return Long.compareUnsigned(address, iova) >= 0 && Long.compareUnsigned(address, last) <= 0;
        }

        /** Where {@code address}, which this mapping contains, falls in {@link #region()}. */
        public long translate(long address) {
            return offsetInRegion + (address - iova);
        }

        @Override
        public String toString() {
            return Size.hex16(iova) + "-" + Size.hex16(last) + " -> '" + region.name() + "' @"
                    + Size.hex(offsetInRegion) + (readOnly ? " ro" : " rw");
        }
    }

    private final PciAddress device;
    /** Mappings by {@code iova ^ Long.MIN_VALUE}, so that signed key order is unsigned address order. */
    private final TreeMap<Long, Mapping> byIova = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    private long maps;
    private long unmaps;

    /** An empty table for {@code device}; feed it with {@link Mediator#addViewListener}. */
    public IommuMappingTable(PciAddress device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    /** A table for {@code device}, listening to {@code mediator}'s non-vCPU view (so it maps it at once). */
    public static IommuMappingTable attach(Mediator mediator, PciAddress device) {
        IommuMappingTable table = new IommuMappingTable(device);
        mediator.addViewListener(table);
        return table;
    }

    /** The device whose mappings this is. */
    public PciAddress device() {
        return device;
    }

    @Override
    public synchronized void viewChanged(List<Section> removed, List<Section> added) {
        for (Section s : removed) {
            if (s.kind() == Section.Kind.RAM) {
                unmap(toMapping(s));
            }
        }
        for (Section s : added) {
            if (s.kind() == Section.Kind.RAM) {
                map(toMapping(s));
            }
        }
    }

    private static Mapping toMapping(Section s) {
        return new Mapping(s.start(), s.last(), s.region(), s.offsetInRegion(s.start()), s.readOnly());
    }

    private void unmap(Mapping m) {
        Mapping had = byIova.get(key(m.iova()));
        if (!m.equals(had)) {
            problems.add("unmap " + m + ": " + (had == null ? "not mapped" : "mapped as " + had));
            return;
        }
        byIova.remove(key(m.iova()));
        unmaps++;
    }

    private void map(Mapping m) {
        Map.Entry<Long, Mapping> below = byIova.floorEntry(key(m.last()));
        if (below != null && Long.compareUnsigned(below.getValue().last(), m.iova()) >= 0) {
            problems.add("map " + m + ": overlaps " + below.getValue());
            return;
        }
        byIova.put(key(m.iova()), m);
        maps++;
    }

    private static long key(long address) {
        return address ^ Long.MIN_VALUE;
    }

    /** The mappings, in IOVA order. */
    public synchronized List<Mapping> mappings() {
        return List.copyOf(byIova.values());
    }

    /** The mapping that contains {@code iova}, or {@code null} if the device's DMA there would fault. */
    public synchronized Mapping lookup(long iova) {
        Map.Entry<Long, Mapping> e = byIova.floorEntry(key(iova));
        return e != null && e.getValue().contains(iova) ? e.getValue() : null;
    }

    /** How many maps the table has applied, e.g. to see that a change caused no churn. */
    public synchronized long mapCount() {
        return maps;
    }

    /** How many unmaps the table has applied. */
    public synchronized long unmapCount() {
        return unmaps;
    }

    /** Inconsistencies in the feed (an unmap of something not mapped, an overlapping map); empty when none. */
    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder("IommuMappingTable(").append(device).append(')');
        for (Mapping m : byIova.values()) {
            sb.append("\n  ").append(m);
        }
        return sb.toString();
    }
}
