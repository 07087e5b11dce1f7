/**
 * Import and export of QEMU's {@code info mtree} text: tree dumps (with and without {@code -D}) and flat
 * dumps ({@code -f}).
 *
 * <p>A dump loses facts the memory model needs; the importer recovers each one explicitly and says so
 * in {@link dev.mmiomediator.mtree.MtreeImport#notes()}:
 * <ul>
 *   <li>{@code i/o} is printed for both MMIO regions and containers: a leaf is taken as MMIO and a region
 *       with children as a container, unless the {@link dev.mmiomediator.mtree.RegionCatalogue} knows better
 *       (x86's {@code io} root is MMIO with children; an empty {@code bus master container} is a container).</li>
 *   <li>Names are not unique and an alias names only its target: the target is chosen among the regions of
 *       that name by content (the one whose enabled content meets the alias window).</li>
 *   <li>Without {@code -D} a disabled region is not printed but its children are, one level deeper than
 *       its siblings' children: the importer detects the jump and puts the children in a disabled
 *       placeholder region, so rendering and re-export are unchanged.</li>
 *   <li>A zero-size region prints like a one-byte region; the catalogue names the known zero-size ones.</li>
 *   <li>A read-only alias of RAM prints as {@code ram}; the catalogue names the known read-only aliases.</li>
 *   <li>Which regions are passthrough BARs: the importer tags QEMU's VFIO BARs by their names
 *       ({@link dev.mmiomediator.mtree.VfioRegionName}), and {@link dev.mmiomediator.mtree.FlatDumpBars} infers
 *       their extents in a flat dump from the BARs' pieces.</li>
 * </ul>
 *
 * <p>The print format is this package's alone: {@link dev.mmiomediator.mtree.MtreeTypes} maps region kinds to
 * the types {@code info mtree} prints and back, and the memory model knows nothing of it.
 *
 * <p>{@link dev.mmiomediator.mtree.PassthroughAudit} reports, for a tree or flat dump, which DMA initiators'
 * (non-vCPU, see {@link dev.mmiomediator.mtree.VcpuSpaces}) address spaces reach which passthrough BARs.
 *
 * <p>Dumps are untrusted input: every way a text can fail to be a dump is an
 * {@link dev.mmiomediator.input.MtreeFormatException} naming the source and line. Bytes must be UTF-8
 * ({@link dev.mmiomediator.mtree.MtreeImporter#decode}), lines at most 64 KiB
 * ({@link dev.mmiomediator.input.InputText#MAX_LINE_LENGTH}), and region trees at most
 * {@link dev.mmiomediator.mtree.MtreeImporter#MAX_DEPTH} levels deep, counting the trees aliases lead into:
 * the renderer recurses over that depth.
 *
 * <p>Classes here are not thread-safe unless they say so; importing builds a fresh
 * {@link dev.mmiomediator.memory.MemorySystem}.
 */
package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;
