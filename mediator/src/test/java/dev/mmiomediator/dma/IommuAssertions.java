package dev.mmiomediator.dma;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks of an {@link IommuMappingTable} against what VFIO's listener must have mapped, computed here
 * independently of the table's own code from the view and the region tree.
 */
final class IommuAssertions {
    private IommuAssertions() {
    }

    /**
     * Checks that {@code table} maps exactly the RAM sections of {@code view} (the mediator's current non-vCPU
     * view) and that its feed had no inconsistency.
     *
     * @throws IllegalStateException listing every difference
     */
    static void assertMirrors(IommuMappingTable table, MediatedView view) {
        List<String> diffs = new ArrayList<>(table.problems());
        Set<IommuMappingTable.Mapping> expected = new HashSet<>();
        for (Section s : view.sections()) {
            if (s.kind() == Section.Kind.RAM) {
                expected.add(new IommuMappingTable.Mapping(s.start(), s.last(), s.region(),
                        s.offsetInRegion(s.start()), s.readOnly()));
            }
        }
        Set<IommuMappingTable.Mapping> actual = new HashSet<>(table.mappings());
        for (IommuMappingTable.Mapping m : actual) {
            if (!expected.contains(m)) {
                diffs.add("mapped but not a RAM section of the view: " + m);
            }
        }
        for (IommuMappingTable.Mapping m : expected) {
            if (!actual.contains(m)) {
                diffs.add("RAM section of the view not mapped: " + m);
            }
        }
        if (!diffs.isEmpty()) {
            throw new IllegalStateException("IOMMU mappings of " + table.device() + " differ from the view:\n  "
                    + String.join("\n  ", diffs));
        }
    }

    /**
     * Checks that no mapping reaches into P2P space: no mapped region is, or lies inside, a region tagged as a
     * passthrough BAR (in the current topology).
     *
     * @throws IllegalStateException naming each mapping that does, and the BAR
     */
    static void assertNoPassthroughBar(IommuMappingTable table) {
        List<String> bad = new ArrayList<>();
        for (IommuMappingTable.Mapping m : table.mappings()) {
            for (MemoryRegion r = m.region(); r != null; r = r.container()) {
                PassthroughBar bar = r.passthroughBar();
                if (bar != null) {
                    bad.add(m + " is inside " + bar + " ('" + r.name() + "')");
                    break;
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalStateException("IOMMU mappings of " + table.device() + " reach passthrough BARs:\n  "
                    + String.join("\n  ", bad));
        }
    }
}
