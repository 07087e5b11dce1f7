package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;

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
 *                         catalogue hints applied, hidden regions detected)
 */
public record MtreeImport(String source, MemorySystem system, List<AddressSpace> addressSpaces,
                          List<MemoryRegion> memoryRegionBlocks, boolean showsDisabled,
                          List<MemoryRegion> hiddenPlaceholders, List<String> notes) {
    /** The name given to placeholder regions. */
    public static final String HIDDEN_NAME = "(hidden disabled region)";

    public MtreeImport {
        addressSpaces = List.copyOf(addressSpaces);
        memoryRegionBlocks = List.copyOf(memoryRegionBlocks);
        hiddenPlaceholders = List.copyOf(hiddenPlaceholders);
        notes = List.copyOf(notes);
    }
}
