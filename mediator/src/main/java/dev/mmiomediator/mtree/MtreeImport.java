package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.pci.PciAddress;

import java.util.List;

/**
 * The result of importing an {@code info mtree} tree dump: a fresh {@link MemorySystem} with the dump's
 * regions and address spaces, plus what the importer had to decide on its own.
 *
 * @param source           where the dump came from (file name, {@code <stdin>}, resource)
 * @param system           the memory system holding every imported region
 * @param addressSpaces    the address spaces, in the dump's order
 * @param memoryRegionBlocks the regions of the dump's {@code memory-region:} blocks, in the dump's order
 *                         (the exporter prints them in this order, so a re-export reproduces the dump)
 * @param showsDisabled    whether the dump was taken with {@code -D} (it prints {@code [disabled]} regions)
 * @param hiddenPlaceholders the disabled placeholder regions standing for disabled regions a dump without
 *                         {@code -D} does not print (see the package documentation)
 * @param notes            one line per decision the dump did not determine (ambiguous alias targets,
 *                         catalogue hints applied, hidden regions detected, passthrough devices found)
 * @param passthroughBars  the regions tagged as passthrough BARs by QEMU's VFIO names (see {@link VfioRegionName}),
 *                         in the dump's order: each {@code DDDD:BB:DD.F BAR n} region, and any
 *                         {@code ... mmaps[k]} piece not inside a region of its BAR's name
 * @param style            how the dump was printed where QEMU versions differ (the exporter reproduces it)
 * @param unknownTargets   stand-ins for alias targets the dump does not print (an excerpt): one region per missing
 *                         target name, of the alias's type, content unknown; a note names each. The exporter prints
 *                         no {@code memory-region:} block for them, so the excerpt re-exports unchanged
 * @param blocklessTargets every alias target the dump prints no {@code memory-region:} block for: the
 *                         {@code unknownTargets} and the regions of the address-space trees taken as targets (the one
 *                         region of the missing name the trees print); the exporter prints no block for them
 */
public record MtreeImport(String source, MemorySystem system, List<AddressSpace> addressSpaces,
                          List<MemoryRegion> memoryRegionBlocks, boolean showsDisabled,
                          List<MemoryRegion> hiddenPlaceholders, List<String> notes, List<TaggedBar> passthroughBars,
                          DumpStyle style, List<MemoryRegion> unknownTargets, List<MemoryRegion> blocklessTargets) {
    /** The name given to placeholder regions. */
    public static final String HIDDEN_NAME = "(hidden disabled region)";

    /**
     * A region the importer tagged with {@link MemoryRegion#setPassthroughBar}: it and its subtree are P2P space.
     *
     * @param region the tagged region (the BAR, or a piece whose BAR region the dump does not show)
     * @param device the passthrough function
     * @param bar    the BAR index, 0 to 5
     */
    public record TaggedBar(MemoryRegion region, PciAddress device, int bar) {
        /** Validates the parts. */
        public TaggedBar {
            java.util.Objects.requireNonNull(region, "region");
            new PassthroughBar(device, bar); // checks device and the BAR index
        }

        /** The tag, as set on the region. */
        public PassthroughBar passthroughBar() {
            return new PassthroughBar(device, bar);
        }
    }

    public MtreeImport {
        java.util.Objects.requireNonNull(style, "style");
        addressSpaces = List.copyOf(addressSpaces);
        memoryRegionBlocks = List.copyOf(memoryRegionBlocks);
        hiddenPlaceholders = List.copyOf(hiddenPlaceholders);
        notes = List.copyOf(notes);
        passthroughBars = List.copyOf(passthroughBars);
        unknownTargets = List.copyOf(unknownTargets);
        blocklessTargets = List.copyOf(blocklessTargets);
    }

    /** An import of a dump in the {@link DumpStyle#CURRENT current style}. */
    public MtreeImport(String source, MemorySystem system, List<AddressSpace> addressSpaces,
                       List<MemoryRegion> memoryRegionBlocks, boolean showsDisabled,
                       List<MemoryRegion> hiddenPlaceholders, List<String> notes, List<TaggedBar> passthroughBars) {
        this(source, system, addressSpaces, memoryRegionBlocks, showsDisabled, hiddenPlaceholders, notes, passthroughBars,
                DumpStyle.CURRENT, List.of(), List.of());
    }

    /** An import without passthrough BARs (for code written before they were tagged). */
    public MtreeImport(String source, MemorySystem system, List<AddressSpace> addressSpaces,
                       List<MemoryRegion> memoryRegionBlocks, boolean showsDisabled,
                       List<MemoryRegion> hiddenPlaceholders, List<String> notes) {
        this(source, system, addressSpaces, memoryRegionBlocks, showsDisabled, hiddenPlaceholders, notes, List.of());
    }

    /** The passthrough functions among {@link #passthroughBars()}, in the dump's order, each once. */
    public List<PciAddress> passthroughDevices() {
        return passthroughBars.stream().map(TaggedBar::device).distinct().toList();
    }
}
