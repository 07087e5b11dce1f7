package dev.mmiomediator.cli;

import dev.mmiomediator.mtree.DumpStyle;
import dev.mmiomediator.mtree.FlatDump;
import dev.mmiomediator.mtree.MtreeExporter;
import dev.mmiomediator.mtree.MtreeImport;
import dev.mmiomediator.mtree.MtreeImporter;
import dev.mmiomediator.mtree.RegionCatalogue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code mmio-mediator mtree}: read, render, re-print and audit QEMU {@code info mtree} dumps. */
@Command(name = "mtree",
        mixinStandardHelpOptions = true,
        description = "Read QEMU 'info mtree' dumps: render their flat views, re-print their trees, or audit which "
                + "DMA initiators reach passthrough BARs.",
        subcommands = {MtreeCommand.Flatten.class, MtreeCommand.Tree.class, MtreeCommand.Catalogue.class,
                AuditCommand.class})
final class MtreeCommand implements Runnable {
    static final String SAMPLE = "dev/mmiomediator/cli/sample-q35-devices.treeD.txt";
    static final String SAMPLE_NAME = "bundled sample (QEMU 7.2 -M q35 with bridges, VGA and devices, info mtree -D)";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: flatten, tree, catalogue or audit");
    }

    /** The options that extend the built-in region catalogue, shared by every command that uses it. */
    static final class CatalogueOptions {
        @Option(names = "--catalogue", paramLabel = "FILE",
                description = "Add the rules of a region catalogue file (see 'mtree catalogue'); may repeat.")
        List<Path> catalogues = new ArrayList<>();

        @Option(names = "--hint", paramLabel = "HINT=NAME",
                description = "Add one catalogue rule, e.g. --hint mmio=vga.mmio or --hint 'container=/pci_bridge_.*/'; "
                        + "HINT is mmio, container, readonly or zero-size; may repeat.")
        List<String> hints = new ArrayList<>();

        /** The built-in catalogue plus the files and rules given. */
        RegionCatalogue catalogue() throws IOException {
            RegionCatalogue c = RegionCatalogue.builtIn();
            for (Path p : catalogues) {
                if (!Files.isRegularFile(p)) {
                    throw new BadInputException("catalogue file '" + p + "': no such file");
                }
                c = c.plus(p);
            }
            for (String h : hints) {
                c = c.plus(h);
            }
            return c;
        }
    }

    /** Options shared by the commands that import a tree dump. */
    static final class ImportOptions {
        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
                description = "A dump from 'info mtree', 'info mtree -D' or (flatten and audit only) 'info mtree -f'; "
                        + "'-' reads standard input. Default: the bundled sample, a real QEMU 7.2 q35 dump.")
        String file;

        @CommandLine.Mixin
        CatalogueOptions catalogueOptions = new CatalogueOptions();

        @Option(names = "--notes", description = "Print, on standard error, what the importer had to decide "
                + "(catalogue rules applied, hidden disabled regions, ambiguous alias targets).")
        boolean notes;

        RegionCatalogue catalogue() throws IOException {
            return catalogueOptions.catalogue();
        }

        String sourceName() {
            return file == null ? SAMPLE_NAME : file.equals("-") ? "<stdin>" : file;
        }

        /** The dump's text, decoded strictly: bytes that are not UTF-8 are bad input naming their line and offset. */
        String read() throws IOException {
            if (file == null) {
                try (InputStream in = MtreeCommand.class.getClassLoader().getResourceAsStream(SAMPLE)) {
                    if (in == null) {
                        throw new IllegalStateException("the bundled sample " + SAMPLE + " is missing from the jar");
                    }
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            if (file.equals("-")) {
                return MtreeImporter.decode(System.in.readAllBytes(), sourceName());
            }
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) {
                throw new BadInputException("dump file '" + file + "': no such file");
            }
            return MtreeImporter.decode(Files.readAllBytes(p), sourceName());
        }

        MtreeImport importTree(String text, PrintWriter err) throws IOException {
            MtreeImport imp = new MtreeImporter(catalogue()).importTree(new StringReader(text), sourceName());
            if (notes) {
                imp.notes().forEach(n -> err.println("note: " + n));
            }
            return imp;
        }
    }

    /** Whether {@code text} is a flat dump ({@code info mtree -f}), also one pasted without its header. */
    static boolean isFlat(String text) {
        return FlatDump.looksFlat(text);
    }

    @Command(name = "flatten", mixinStandardHelpOptions = true,
            description = {"Print the flat view of every address space of a dump, as QEMU's 'info mtree -f' does: "
                    + "one 'FlatView #n' block per distinct view, its 'AS' lines, 'Root memory region:', then its ranges "
                    + "(or 'No rendered FlatView').",
                    "A flat dump given as input is checked and printed back in the same format."})
    static final class Flatten implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin
        ImportOptions options;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String text = options.read();
            String lineEnd = DumpStyle.lineEndOf(text);
            if (isFlat(text)) {
                FlatDump dump = FlatDump.parse(text, options.sourceName());
                if (options.notes) {
                    // what publishing did to the text and how it was undone (wrapped, stuffed, elided, -d skipped)
                    dump.notes().forEach(n -> err.println("note: " + n));
                    if (dump.headerless()) {
                        err.println("note: " + dump.source() + ": the flat view has no 'FlatView #n' and 'AS' lines: "
                                + "read as one unnamed address space");
                    }
                }
                out.print(dump.printed().replace("\n", lineEnd));
                return 0;
            }
            MtreeImport imp = options.importTree(text, err);
            if (!options.notes) {
                // never a silent hole: what an alias to a target the dump does not print renders as is always said
                imp.notes().stream().filter(n -> n.contains("no 'memory-region:' block for alias target"))
                        .forEach(n -> err.println("note: " + n));
            }
            out.print(MtreeExporter.flat(imp.addressSpaces(), imp.style().withLineEnd(lineEnd)));
            return 0;
        }
    }

    @Command(name = "tree", mixinStandardHelpOptions = true,
            description = "Print the region tree of a dump as QEMU's 'info mtree' does (with -D, also the disabled "
                    + "regions). Importing and printing a dump reproduces it.")
    static final class Tree implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin
        ImportOptions options;

        @Option(names = {"-D", "--disabled"}, description = "Print disabled regions too, like 'info mtree -D'. "
                + "Default: as the input dump was taken.")
        Boolean disabled;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            String text = options.read();
            if (isFlat(text)) {
                throw new BadInputException(options.sourceName() + ": this is a flat dump ('info mtree -f'); "
                        + "'mtree tree' needs a tree dump ('info mtree' or 'info mtree -D')");
            }
            MtreeImport imp = options.importTree(text, spec.commandLine().getErr());
            boolean d = disabled != null ? disabled : imp.showsDisabled();
            spec.commandLine().getOut().print(MtreeExporter.tree(imp.addressSpaces(), d, imp.memoryRegionBlocks(),
                    imp.style().withLineEnd(DumpStyle.lineEndOf(text)), imp.blocklessTargets()));
            return 0;
        }
    }

    @Command(name = "catalogue", mixinStandardHelpOptions = true,
            description = {"Print the region catalogue in effect: the well-known QEMU region names whose nature a dump "
                    + "does not print (i/o regions that are MMIO or containers, read-only aliases, zero-size regions).",
                    "Write your own rules in the same format and pass them with --catalogue FILE."})
    static final class Catalogue implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Mixin
        CatalogueOptions options = new CatalogueOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            RegionCatalogue catalogue = options.catalogue(); // bad input fails before anything is printed
            PrintWriter out = spec.commandLine().getOut();
            out.println("# HINT     NAME or /REGEX/    (origin)");
            for (RegionCatalogue.Rule r : catalogue.rules()) {
                out.println(r);
            }
            return 0;
        }
    }
}
