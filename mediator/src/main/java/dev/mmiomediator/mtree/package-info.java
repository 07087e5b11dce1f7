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
 * <p><b>QEMU versions.</b> The importer reads the tree and flat formats of QEMU 2.10 to today's and re-exports a
 * tree dump in the format it came in ({@link dev.mmiomediator.mtree.DumpStyle}). What each version prints, from
 * QEMU's {@code memory.c} / {@code softmmu/memory.c} / {@code system/memory.c} ({@code mtree_print_mr},
 * {@code mtree_print_flatview}, {@code mtree_info}) and the real dumps in the test fixtures' {@code versions/}:
 * <table>
 *   <caption>{@code info mtree} by QEMU version</caption>
 *   <tr><th>QEMU</th><th>tree ({@code info mtree})</th><th>flat ({@code -f})</th><th>here</th></tr>
 *   <tr><td>1.x</td><td>a {@code memory} header, {@code (prio P)} without type, alias targets headed by their
 *       bare name, an {@code I/O} block</td><td>none</td><td>refused: no {@code address-space:} block</td></tr>
 *   <tr><td>to 2.9</td><td>{@code address-space:} and {@code memory-region:} headers; {@code (prio P, RW)}
 *       read/write flags ({@code RW}, {@code R-}) instead of a type; one block per address space</td><td>one block
 *       per address space</td><td>refused, the message names the format and the versions that print it</td></tr>
 *   <tr><td>2.10 to 2.12</td><td>types {@code ram}, {@code rom}, {@code romd}, {@code ramd}, {@code i/o}, but
 *       every alias prints {@code i/o}; disabled regions always printed, with {@code [disabled]}</td><td>shared
 *       {@code FlatView #n} blocks with {@code AS} lines from late 2017</td><td>read; aliases re-exported as
 *       {@code i/o}</td></tr>
 *   <tr><td>3.0 to 5.0</td><td>an alias prints its target's type; disabled regions still always printed</td>
 *       <td>{@code FlatView #n}, {@code AS "NAME", root: ROOT}, {@code Root memory region:}, ranges with
 *       {@code @OFFSET} and the accelerator's name ({@code KVM}; a 2019 dump has {@code kvm}) where it maps the
 *       range, once per address space of the view</td><td>read</td></tr>
 *   <tr><td>5.1 to 6.1</td><td>disabled regions only with {@code -D}; {@code nv-} for non-volatile regions;
 *       {@code [DETECTED OVERFLOW!]}; still one block per address space, in QEMU's order, each with its copy of
 *       the root's tree</td><td>as above</td><td>read; address spaces whose roots print alike share one root
 *       ({@link dev.mmiomediator.mtree.SharedRoots}), so they share a flat view as in QEMU</td></tr>
 *   <tr><td>6.2 to 10.x</td><td>address spaces of one root grouped: their {@code address-space:} lines sorted by
 *       name over one tree, blocks in hash order (the patch "memory: Have 'info mtree' remove duplicated Address
 *       Space information", September 2021, after 6.1.0)</td><td>as above</td><td>read (the 34 captures are
 *       7.2)</td></tr>
 *   <tr><td>current (2026)</td><td>{@code container} instead of {@code i/o} for a region in no container (and an
 *       alias leading to one)</td><td>the same type for such a range</td><td>read and re-exported</td></tr>
 * </table>
 * Dumps as people publish them are read too ({@code PastedText}, {@link dev.mmiomediator.mtree.FlatDump}): CRLF line
 * ends (printed back by the CLI), lines a mail client wrapped or space-stuffed, {@code ...} lines where an author
 * left regions out, excerpts without the {@code memory-region:} blocks of their alias targets (each missing target
 * becomes a stand-in of unknown content, with a note), and a flat view pasted without its {@code FlatView #n} and
 * {@code AS} lines (one unnamed address space). Flat dumps are also read with {@code -o} (owners kept) and {@code -d}
 * (dispatch trees skipped); a tree taken with {@code -o} is refused in one line naming it.
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
 * ({@link dev.mmiomediator.input.InputText#MAX_LINE_LENGTH}), names at most 16 KiB
 * ({@link dev.mmiomediator.mtree.MtreeImporter#MAX_NAME_BYTES}, so that every line of an export reads back), and
 * region trees at most
 * {@link dev.mmiomediator.mtree.MtreeImporter#MAX_DEPTH} levels deep, counting the trees aliases lead into:
 * the renderer recurses over that depth.
 *
 * <p>Classes here are not thread-safe unless they say so; importing builds a fresh
 * {@link dev.mmiomediator.memory.MemorySystem}.
 */
package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;
