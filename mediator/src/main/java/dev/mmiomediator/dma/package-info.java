/**
 * Mediated DMA: per-initiator views in which passthrough BARs are replaced by P2P sections, a lock-free
 * dispatch index over each view, and {@link dev.mmiomediator.dma.DmaPort}s through which initiators read and
 * write.
 *
 * <h2>Threading and memory ordering</h2>
 * A {@link dev.mmiomediator.dma.Mediator} rebuilds its immutable {@link dev.mmiomediator.dma.MediatedView}s
 * when the memory system commits a topology change, and publishes each with one volatile store (RCU style:
 * the copy-on-write idiom). An access reads the current view once into a local and does all its pieces
 * against that snapshot, so it sees exactly one topology, old or new, never a mix. Lookups never lock,
 * allocate or throw on a miss. A {@link dev.mmiomediator.dma.DmaPort} belongs to one initiator and one thread
 * (like a QEMU device's bus-master path): its last-hit cache is a plain field of the port, not shared state.
 *
 * <h2>Results</h2>
 * Accesses return QEMU's MemTxResult bits ({@link dev.mmiomediator.dma.MemTxResult}), OR-ed over the pieces of
 * an access that straddles sections, plus the P2P outcome bits.
 */
package dev.mmiomediator.dma;
