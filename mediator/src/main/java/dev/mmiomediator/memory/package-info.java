/**
 * The memory model, in QEMU's vocabulary: {@link dev.mmiomediator.memory.MemoryRegion}s arranged in trees,
 * {@link dev.mmiomediator.memory.AddressSpace}s rooted in them, and the {@link dev.mmiomediator.memory.FlatView}
 * each address space renders to.
 *
 * <h2>Addresses and sizes</h2>
 * Addresses and offsets are unsigned 64-bit values held in {@code long}s (compare them with
 * {@link java.lang.Long#compareUnsigned}); print them with {@link dev.mmiomediator.memory.Size#hex(long)}.
 * A size can be 2<sup>64</sup>, which no {@code long} holds, so sizes are {@link dev.mmiomediator.memory.Size}
 * values, and ranges are kept as inclusive {@code [start, last]} pairs.
 *
 * <h2>Threading</h2>
 * Topology changes (adding, moving, enabling regions; transactions) are serialized by the owning
 * {@link dev.mmiomediator.memory.MemorySystem}'s private lock, the way QEMU serializes them with the BQL; no
 * public object is locked. Code outside the package that must check the topology and change it with nothing in
 * between uses {@link dev.mmiomediator.memory.MemorySystem#atomically}.
 * Rendering happens when the outermost transaction commits. Each address space then publishes its new
 * {@link dev.mmiomediator.memory.FlatView} with one volatile store; a {@code FlatView} is immutable, so
 * readers on any thread read {@link dev.mmiomediator.memory.AddressSpace#flatView()} once into a local
 * and use that snapshot without locking.
 */
package dev.mmiomediator.memory;
