package dev.mmiomediator.memory;

/**
 * Told when an address space's flat view changes (QEMU's {@code MemoryListener}, at view granularity).
 * Called on the thread that committed the topology change, with the system's lock held, after the new
 * view is published; keep it short and do not change the topology from it.
 */
@FunctionalInterface
public interface FlatViewListener {
    /** {@code space} now renders {@code current} instead of {@code previous} (which may be the same object). */
    void flatViewChanged(AddressSpace space, FlatView previous, FlatView current);
}
