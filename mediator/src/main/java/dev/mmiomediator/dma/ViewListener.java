package dev.mmiomediator.dma;

import java.util.List;

/**
 * Told the difference between successive non-vCPU views of a {@link Mediator}'s address space, e.g. to keep
 * a passthrough device's IOMMU mappings in step (QEMU's {@code MemoryListener} region_add/region_del).
 * Called on the committing thread after the new view is published; keep it short.
 */
@FunctionalInterface
public interface ViewListener {
    /** {@code removed} sections are gone (unmap them), then {@code added} ones are new (map them). */
    void viewChanged(List<Section> removed, List<Section> added);
}
