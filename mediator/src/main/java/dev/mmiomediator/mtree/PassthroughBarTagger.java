package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.pci.PciAddress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tags QEMU's VFIO BARs as passthrough BARs: every region named exactly {@code DDDD:BB:DD.F BAR n}, and every
 * {@code ... BAR n mmaps[k]} piece that is not inside a region of its BAR's name (a dump that shows the pieces
 * only). The tag covers the region's subtree: mmap pieces, quirks, the MSI-X table.
 */
final class PassthroughBarTagger {
    private final ImportContext ctx;

    PassthroughBarTagger(ImportContext ctx) {
        this.ctx = ctx;
    }

    /** Tags the built regions of {@code all} (placed already, inside the building transaction) and lists them. */
    List<MtreeImport.TaggedBar> tag(List<DumpNode> all) {
        List<MtreeImport.TaggedBar> bars = new ArrayList<>();
        Map<PciAddress, List<String>> perDevice = new LinkedHashMap<>();
        for (DumpNode n : all) {
            if (n.canonical != n || n.alias || n.placeholder) {
                continue;
            }
            VfioRegionName name = VfioRegionName.parse(n.name);
            if (name == null) {
                continue;
            }
            if (!name.isBar()) {
                if (insideBarNamed(n.region, name.barName())) {
                    continue;
                }
                ctx.note(n.line, "'" + n.name + "' is not inside a region named '" + name.barName()
                        + "': the piece itself is tagged as that BAR");
            }
            n.region.setPassthroughBar(name.passthroughBar());
            bars.add(new MtreeImport.TaggedBar(n.region, name.device(), name.bar()));
            List<String> list = perDevice.computeIfAbsent(name.device(), d -> new ArrayList<>());
            String what = name.isBar() ? "BAR " + name.bar() : "BAR " + name.bar() + " (piece mmaps[" + name.mmap() + "])";
            if (!list.contains(what)) {
                list.add(what);
            }
        }
        perDevice.forEach((device, what) -> ctx.note("passthrough device " + device + " (QEMU's VFIO region "
                + "names): " + String.join(", ", what) + " tagged as P2P space"));
        return bars;
    }

    private static boolean insideBarNamed(MemoryRegion piece, String barName) {
        for (MemoryRegion x = piece.container(); x != null; x = x.container()) {
            if (x.name().equals(barName)) {
                return true;
            }
        }
        return false;
    }
}
