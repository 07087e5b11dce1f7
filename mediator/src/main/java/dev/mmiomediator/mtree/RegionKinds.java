package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;

import java.util.Locale;

import static dev.mmiomediator.mtree.MtreeText.abbreviate;

/**
 * Decides each printed region's kind and size, which the dump does not always say: {@code i/o} is printed for
 * MMIO regions and containers alike, and a zero-size region prints like a one-byte one. The catalogue's hints
 * come first; without one, an {@code i/o} leaf is MMIO and a region with children a container.
 */
final class RegionKinds {
    private final ImportContext ctx;

    RegionKinds(ImportContext ctx) {
        this.ctx = ctx;
    }

    /** Sets {@code n}'s kind and size; a placeholder's are set where it is made. */
    void decide(DumpNode n) {
        if (n.placeholder) {
            return;
        }
        RegionCatalogue catalogue = ctx.catalogue();
        boolean pointLike = n.start == n.end;
        boolean zero = pointLike && catalogue.has(RegionCatalogue.Hint.ZERO_SIZE, n.name);
        n.size = zero ? Size.ZERO : Size.ofLast(n.end - n.start);
        if (n.alias) {
            n.kind = RegionKind.ALIAS;
            if (!n.children.isEmpty()) {
                throw ctx.error(n.children.get(0).line, "region '" + abbreviate(n.children.get(0).name)
                        + "' is printed inside alias '" + abbreviate(n.name) + "': an alias has no subregions");
            }
            return;
        }
        RegionKind printed = MtreeTypes.kindOf(n.type, null);
        if (printed != null) {
            n.kind = printed;
            return;
        }
        RegionCatalogue.Hint hint = catalogue.kindHint(n.name);
        if (hint == RegionCatalogue.Hint.MMIO) {
            n.kind = RegionKind.MMIO;
        } else if (hint == RegionCatalogue.Hint.CONTAINER) {
            n.kind = RegionKind.CONTAINER;
        } else {
            n.kind = n.children.isEmpty() && !looksLikeEmptyBus(n) ? RegionKind.MMIO : RegionKind.CONTAINER;
            if (n.children.isEmpty() && n.kind == RegionKind.CONTAINER) {
                ctx.note(n.line, "'" + n.name + "' is an i/o leaf of " + n.size
                        + ": taken as an empty container (a bus or address space), not MMIO");
            }
        }
    }

    /**
     * An {@code i/o} leaf of 4 GiB or more: no device has registers that large, while QEMU's buses and
     * address-space roots (PCI bridge buses, SMRAM, bus-master containers, {@code gpex_mmio}) are exactly such
     * regions, empty when nothing sits on them or their only child is disabled. The exception is IOMMU
     * regions ({@code amd_iommu}, {@code smmuv3-iommu-memory-region-*}, {@code virtio-iommu-memory-region-*}):
     * they span the whole DMA space and terminate, so QEMU renders them as one range.
     */
    private static boolean looksLikeEmptyBus(DumpNode n) {
        return n.size != null && n.size.compareTo(Size.of(1L << 32)) >= 0
                && !n.name.toLowerCase(Locale.ROOT).contains("iommu");
    }
}
