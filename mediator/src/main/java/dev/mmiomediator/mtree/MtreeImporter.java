package dev.mmiomediator.mtree;

import dev.mmiomediator.input.InputText;
import dev.mmiomediator.input.MtreeFormatException;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads QEMU {@code info mtree} tree dumps (with or without {@code -D}) into a {@link MemorySystem}.
 * See the package documentation for how the facts a dump loses are recovered.
 *
 * <p>Imported MMIO and ROM-device regions get {@link MemoryRegionOps#UNASSIGNED} callbacks. Regions named like
 * QEMU's VFIO BARs ({@code 0000:01:00.0 BAR 0}, see {@link VfioRegionName}) are tagged as passthrough BARs, so
 * their subtrees are P2P space; {@link MtreeImport#passthroughBars()} lists them.
 *
 * <p>IMPLEMENTATION NOTES: an import is a pipeline of steps sharing one {@code ImportContext} (the source's
 * name, the notes, the catalogue, the limits): {@code BlockParser} reads the lines into blocks of
 * {@code DumpNode}s ({@code RegionLineParser} one region line, {@code HiddenRegions} the placement and the
 * placeholders for unprinted disabled regions); {@code RegionKinds} decides kinds and sizes; {@code SharedRoots}
 * finds the address spaces that share a root in a dump printed before QEMU 6.2; {@code RepeatedBlocks}
 * merges memory-region blocks that repeat a printed region; {@code AliasTargets} chooses each alias's target;
 * {@code RenderDepth} checks the depth the renderer will recurse to; {@code ModelBuilder} builds the model and
 * {@code PassthroughBarTagger} tags the VFIO BARs.
 *
 * <p><b>Note:</b> not thread-safe; use one importer per thread.
 */
public final class MtreeImporter {
    /**
     * The deepest region tree imported: a region line may be indented at most this many levels, and rendering from
     * an address space, which follows each alias into its target's tree, may go at most this many regions deep.
     * Real dumps are a few dozen levels deep; the limit keeps the recursive renderer and the importer's own walks
     * far from the end of a thread's stack.
     */
    public static final int MAX_DEPTH = 1000;

    /**
     * The longest name of a region, alias target or address space imported: 16 KiB of UTF-8. QEMU sets no limit of
     * its own (it keeps a copy of the name it is given and prints it whole); this one keeps every line that
     * {@link MtreeExporter} writes for an imported model within {@link InputText#MAX_LINE_LENGTH} bytes, so that
     * its output reads back. The longest such line, a flat view's {@code AS "NAME", root: ROOT, alias TARGET},
     * holds three names; a tree's alias line holds two, after an indent of at most {@link #MAX_DEPTH} levels.
     * Real names are a few dozen bytes.
     */
    public static final int MAX_NAME_BYTES = 16 * 1024;

    private final RegionCatalogue catalogue;

    /** An importer using the {@link RegionCatalogue#builtIn() built-in catalogue}. */
    public MtreeImporter() {
        this(RegionCatalogue.builtIn());
    }

    /** An importer using {@code catalogue} for the facts the dump does not print. */
    public MtreeImporter(RegionCatalogue catalogue) {
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
    }

    /** The catalogue this importer consults. */
    public RegionCatalogue catalogue() {
        return catalogue;
    }

    /**
     * Imports a tree dump read from a file, decoded as by {@link #decode}.
     *
     * @throws MtreeFormatException as {@link #importTree(Reader, String)} does, and for bytes that are not UTF-8
     */
    public MtreeImport importTree(Path file) throws IOException {
        String source = file.toString();
        return importTree(new StringReader(decode(Files.readAllBytes(file), source)), source);
    }

    /**
     * A dump's bytes as text: strict UTF-8 (QEMU prints region names as it got them, which are UTF-8 or ASCII).
     *
     * @param source the name used in error messages
     * @throws MtreeFormatException naming the line and byte offset of the first bytes that are not UTF-8, or the
     *         first line longer than {@link InputText#MAX_LINE_LENGTH} bytes
     */
    public static String decode(byte[] dump, String source) {
        return InputText.decodeUtf8(dump, (line, detail) -> new MtreeFormatException(source, line, detail));
    }

    /**
     * Whether the dump prints each alias with its target's type (QEMU 3.0 and later) rather than {@code i/o} for
     * every alias (QEMU 2.10 to 2.12): false only when every alias prints {@code i/o} and some leads to a target
     * that prints another type.
     */
    private static boolean aliasTargetTypes(List<DumpNode> all, ImportContext ctx) {
        DumpNode evidence = null;
        String evidenceType = null;
        for (DumpNode n : all) {
            if (!n.alias || n.canonical != n) {
                continue;
            }
            if (!n.type.equals("i/o")) {
                return true;
            }
            DumpNode t = n.target.canonical;
            for (int hops = 0; t.alias && hops <= all.size(); hops++) {
                t = t.target.canonical;
            }
            if (!t.unknown && !t.type.equals("i/o") && evidence == null) {
                evidence = n;
                evidenceType = t.type;
            }
        }
        if (evidence != null) {
            ctx.note(evidence.line, "every alias prints type i/o, though '" + evidence.name + "' leads to "
                    + evidenceType + " '" + evidence.targetName + "': the format of QEMU 2.10 to 2.12, which "
                    + "print i/o for aliases (a re-export does too)");
            return false;
        }
        return true;
    }

    /**
     * Imports a tree dump.
     *
     * @param source the name used in error messages
     * @throws MtreeFormatException naming the source, line and what was expected, for any line that is not
     *         valid {@code info mtree} tree output or a dump whose structure cannot be rebuilt
     */
    public MtreeImport importTree(Reader text, String source) throws IOException {
        List<String> lines = new ArrayList<>(MtreeText.readLines(text, source));
        List<String> repairs = PastedText.repair(lines);
        ImportContext ctx = new ImportContext(source, catalogue, RegionLineParser.showsDisabled(lines));
        repairs.forEach(ctx::note);
        List<DumpBlock> blocks = new BlockParser(ctx).parse(lines);
        if (blocks.stream().allMatch(b -> b.asNames.isEmpty())) {
            // memory-region blocks alone are no memory map: QEMU prints them after the address spaces whose aliases
            // lead to them, and an import without an address space would export nothing, not even a flat dump
            throw ctx.error(0, "no 'address-space:' block found" + (blocks.isEmpty() ? "" : " (only 'memory-region:' "
                    + "blocks)") + ": expected the output of QEMU's 'info mtree' (or 'info mtree -D')");
        }
        List<DumpNode> all = new ArrayList<>();
        for (DumpBlock b : blocks) {
            b.root.collect(all);
        }
        RegionKinds kinds = new RegionKinds(ctx);
        for (DumpNode n : all) {
            kinds.decide(n);
        }
        boolean perAddressSpace = SharedRoots.merge(blocks, ctx);
        RepeatedBlocks.merge(blocks);
        new AliasTargets(ctx).resolve(blocks);
        RenderDepth.check(blocks, ctx);
        boolean container = all.stream().anyMatch(n -> n.type.equals("container"));
        DumpStyle style = new DumpStyle(!perAddressSpace, aliasTargetTypes(all, ctx), container, "\n");
        return new ModelBuilder(ctx).build(blocks, all, style);
    }
}
