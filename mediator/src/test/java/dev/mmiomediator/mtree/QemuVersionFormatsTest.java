package dev.mmiomediator.mtree;

import dev.mmiomediator.fixtures.QemuDumps;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The formats of QEMU versions other than 7.2 (see the package documentation's version table), read from real
 * public dumps where we have them and, where a format is derived from a real 7.2 capture, checked against QEMU's
 * own flat view of that capture.
 */
class QemuVersionFormatsTest {

    /**
     * Captures with distinct roots that print identically (x86-pc-isa's per-CPU SMM {@code memory} containers,
     * ast2600's two {@code aspeed.smc.flash} regions): QEMU gives each its own FlatView, but a dump printed one
     * block per address space cannot tell them from one root printed twice, so they share one view here. What
     * each address space renders is still QEMU's.
     */
    static final java.util.Set<String> IDENTICAL_DISTINCT_ROOTS = java.util.Set.of("x86-pc-isa", "arm-ast2600-evb");

    static MtreeImport importDump(String text, String source) throws IOException {
        return new MtreeImporter().importTree(new StringReader(text), source);
    }

    /**
     * A 7.2 tree dump printed as QEMU before 6.2 prints it: each block's address spaces one block each, every one
     * with its own copy of the root's tree, in the order the 7.2 dump lists them. The memory-region blocks stay as
     * they are. Derived from a real capture, so its flat views must still equal QEMU's own {@code info mtree -f}.
     */
    static String ungrouped(String dump) {
        StringBuilder out = new StringBuilder();
        List<String> names = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : QemuDumps.lf(dump).split("\n", -1)) {
            if (line.startsWith("address-space: ")) {
                names.add(line);
            } else if (line.isEmpty()) {
                if (!names.isEmpty()) {
                    for (String n : names) {
                        out.append(n).append('\n').append(body).append('\n');
                    }
                    names.clear();
                } else if (body.length() > 0) {
                    out.append(body).append('\n');
                }
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        return out.toString();
    }

    @TestFactory
    Stream<DynamicTest> dumpsPrintedOneBlockPerAddressSpaceFlattenAsQemuGroupsThem() {
        // case 2: fails without SharedRoots (each address space would get a FlatView of its own)
        List<DynamicTest> tests = new ArrayList<>();
        for (String capture : QemuDumps.captures()) {
            if (QemuCaptureTest.AMBIGUOUS_SHARING.contains(capture)) {
                continue;
            }
            for (boolean disabled : new boolean[] {true, false}) {
                String file = capture + (disabled ? ".treeD.txt" : ".tree.txt") + " (one block per address space)";
                tests.add(DynamicTest.dynamicTest(file, () -> {
                    String dump = ungrouped(QemuDumps.tree(capture, disabled));
                    MtreeImport imp = importDump(dump, file);
                    assertFalse(imp.style().groupedAddressSpaces(), file);
                    FlatDump ours = FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "ours");
                    FlatDump qemu = FlatDump.parse(QemuDumps.flat(capture), capture + ".flat.txt");
                    assertEquals(List.of(), QemuCaptureTest.diff(ours.canonicalAddressSpaces(),
                            qemu.canonicalAddressSpaces()), file + ": flat views differ from QEMU's");
                    if (!IDENTICAL_DISTINCT_ROOTS.contains(capture)) {
                        assertEquals(List.of(), QemuCaptureTest.diff(ours.canonicalViews(), qemu.canonicalViews()),
                                file + ": grouping differs from QEMU's (notes: " + imp.notes() + ")");
                    }
                    assertEquals(dump, MtreeExporter.tree(imp), file + ": re-export");
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void aGroupedDumpKeepsItsGroupingAndAFlatViewListsItsAddressSpacesInTheDumpsOrder() throws IOException {
        String dump = "address-space: memory\n"
                + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                + "    0000000000000000-0000000007ffffff (prio 0, ram): ram\n"
                + "\n"
                + "address-space: I/O\n"
                + "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
                + "\n"
                + "address-space: cpu-memory-0\n"
                + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                + "    0000000000000000-0000000007ffffff (prio 0, ram): ram\n"
                + "\n";
        MtreeImport imp = importDump(dump, "synthetic");
        assertEquals(dump, MtreeExporter.tree(imp));
        String flat = MtreeExporter.flat(imp.addressSpaces());
        assertTrue(flat.startsWith("FlatView #0\n AS \"memory\", root: system\n AS \"cpu-memory-0\", root: system\n"),
                flat);
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("before 6.2")), imp.notes().toString());
    }

    // ---------------------------------------------------------------- accelerator tags (case 3)

    static final String MEMFLOW = "memflow-vfio5.flat.txt";

    @Test
    void aFlatDumpPrintsBackWithItsAcceleratorTags() {
        String text = QemuDumps.read(MEMFLOW);
        FlatDump d = FlatDump.parse(text, MEMFLOW);
        // the fixture lost QEMU's blank line after its last view
        assertEquals(text + "\n", d.printed());
    }

    @Test
    void lowerCaseAcceleratorTagsStillLeaveTheBarNames() {
        String text = QemuDumps.read(MEMFLOW);
        String lower = text.replace(" KVM\n", " kvm\n");
        assertTrue(lower.contains("mmaps[0] kvm\n"));
        PassthroughAudit upper = PassthroughAudit.of(FlatDump.parse(text, MEMFLOW), VcpuSpaces.defaults());
        PassthroughAudit low = PassthroughAudit.of(FlatDump.parse(lower, "lower"), VcpuSpaces.defaults());
        assertEquals(9, upper.placements().size(), "memflow names nine BARs of five functions (grep of the file)");
        assertEquals(upper.placements(), low.placements());
        assertEquals(upper.exposures(), low.exposures());
        assertFalse(low.exposures().isEmpty(), "the bus-master spaces reach the BARs");
        assertEquals(FlatDump.parse(lower, "lower").printed(), lower + "\n", "the tags are printed back as they were");
    }

    @Test
    void theAuditSaysWhichBarPiecesTheAcceleratorMaps() {
        PassthroughAudit audit = PassthroughAudit.of(FlatDump.parse(QemuDumps.read(MEMFLOW), MEMFLOW),
                VcpuSpaces.defaults());
        dev.mmiomediator.memory.PassthroughBar bar = new dev.mmiomediator.memory.PassthroughBar(
                dev.mmiomediator.pci.PciAddress.parse("0000:0e:00.3"), 0);
        List<PassthroughAudit.Piece> pieces = audit.pieces(bar);
        // QEMU: "00000000c1a00000-00000000c1afdfff (prio 0, ramd): 0000:0e:00.3 BAR 0 mmaps[0] KVM" and
        // "00000000c1afe080-00000000c1afffff (prio 0, ramd): 0000:0e:00.3 BAR 0 mmaps[0] @00000000000fe080" (no tag)
        assertTrue(pieces.contains(new PassthroughAudit.Piece(0xc1a00000L, 0xc1afdfffL, "0000:0e:00.3 BAR 0 mmaps[0]",
                true)), pieces.toString());
        assertTrue(pieces.contains(new PassthroughAudit.Piece(0xc1afe080L, 0xc1afffffL, "0000:0e:00.3 BAR 0 mmaps[0]",
                false)), pieces.toString());
        assertTrue(pieces.stream().anyMatch(p -> !p.region().contains("BAR")), "the MSI-X table between: " + pieces);
    }

    // ---------------------------------------------------------------- pastes and excerpts (case 4)

    /** The memflow dump's system view, pasted from its Root memory region: line (or, root false, its first range). */
    static String pastedSystemView(boolean withRoot) {
        String text = QemuDumps.read(MEMFLOW);
        int root = text.indexOf(" Root memory region: system\n");
        int end = text.indexOf("\n\n", root);
        String view = text.substring(root, end + 1);
        return withRoot ? view : view.substring(view.indexOf('\n') + 1);
    }

    @Test
    void aFlatViewPastedWithoutItsHeaderIsOneUnnamedAddressSpace() {
        PassthroughAudit full = PassthroughAudit.of(FlatDump.parse(QemuDumps.read(MEMFLOW), MEMFLOW),
                VcpuSpaces.defaults());
        for (boolean withRoot : new boolean[] {true, false}) {
            String paste = pastedSystemView(withRoot);
            assertTrue(FlatDump.looksFlat(paste));
            FlatDump d = FlatDump.parse(paste, "paste");
            assertTrue(d.headerless());
            assertEquals(paste + "\n", d.printed(), "printed back as pasted");
            PassthroughAudit audit = PassthroughAudit.of(d, VcpuSpaces.defaults());
            assertEquals(1, audit.notes().size(), audit.notes().toString());
            assertTrue(audit.notes().get(0).contains("unnamed"), audit.notes().get(0));
            assertTrue(audit.deviceSpaces().isEmpty() && audit.vcpuSpaces().isEmpty());
            // the same BARs at the same places as the full dump's memory view shows them
            List<String> ours = new ArrayList<>();
            audit.placements().forEach(p -> ours.add(p.bar() + " " + p.start() + "-" + p.last()));
            List<String> theirs = new ArrayList<>();
            full.placements().stream().filter(p -> p.addressSpace().equals("memory"))
                    .forEach(p -> theirs.add(p.bar() + " " + p.start() + "-" + p.last()));
            assertFalse(theirs.isEmpty());
            assertEquals(theirs, ours);
        }
    }

    // ---------------------------------------------------------------- real dumps of other QEMU versions

    /** A dump of another QEMU version (see CAPTURES.md, "Other QEMU versions"), as published. */
    static String version(String file) {
        return QemuDumps.read("versions/" + file);
    }

    /** Each view of {@code dump} as printed, without its number, keyed by root: QEMU orders views by a hash. */
    static java.util.Map<String, String> viewsByRoot(FlatDump dump) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (FlatDump.View v : dump.views()) {
            String text = v.printed();
            out.put(String.valueOf(v.root()), text.substring(text.indexOf('\n') + 1));
        }
        return out;
    }

    @Test
    void qemu6093TreeOneBlockPerAddressSpaceFlattensToItsOwnFlatViewsAndGrouping() throws IOException {
        // QEMU 6.0.93 (6.1.0-rc3), -M smdkc210: the mail quotes 'info mtree' (one block per address space, lines
        // wrapped by the mail client) and 'info mtree -f' of the same VM
        String tree = version("qemu-6.0.93-arm-smdkc210.tree.txt");
        MtreeImport imp = importDump(tree, "6.0.93 tree");
        assertFalse(imp.style().groupedAddressSpaces());
        assertEquals(7, imp.addressSpaces().size());
        FlatDump qemu = FlatDump.parse(version("qemu-6.0.93-arm-smdkc210.flat.txt"), "6.0.93 flat");
        FlatDump ours = FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "ours");
        // range for range, and the AS lines of each view in QEMU's order (the dump's)
        assertEquals(viewsByRoot(qemu), viewsByRoot(ours));
        // re-exported as printed, the wrapped lines joined
        String unwrapped = tree.replaceAll("(\\(prio [0-9]+, [a-z/]+\\):(?: alias)?)\n(?! )", "$1 ");
        assertEquals(unwrapped, MtreeExporter.tree(imp));
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("42 region lines wrapped")), imp.notes().toString());
    }

    @Test
    void qemu6150GroupedDumpReExportsByteForByteAndAgreesWithOur72CaptureOfTheSameBoard() throws IOException {
        // QEMU 6.1.50 (the patch that grouped address spaces, as posted): the same raspi3b as our 7.2 capture
        String dump = version("qemu-6.1.50-aarch64-raspi3b.tree.txt");
        MtreeImport imp = importDump(dump, "6.1.50");
        assertTrue(imp.style().groupedAddressSpaces());
        assertEquals(dump, MtreeExporter.tree(imp));
        MtreeImport ours72 = importDump(QemuDumps.tree("aarch64-raspi3b", false), "7.2");
        FlatDump a = FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "6.1.50");
        FlatDump b = FlatDump.parse(MtreeExporter.flat(ours72.addressSpaces()), "7.2");
        // the memory map of the vCPUs is the same in both versions
        assertEquals(ranges(b, "memory"), ranges(a, "memory"));
    }

    static List<String> ranges(FlatDump d, String addressSpace) {
        for (FlatDump.View v : d.views()) {
            if (v.addressSpaces().stream().anyMatch(as -> as.name().equals(addressSpace))) {
                return v.ranges().stream().map(FlatDump.Range::text).toList();
            }
        }
        throw new AssertionError(addressSpace + " not in " + d.source());
    }

    @Test
    void qemu910DumpReExportsAsQemuPrintsIt() throws IOException {
        String dump = version("qemu-9.1.0-riscv64-spike.tree.txt");
        MtreeImport imp = importDump(dump, "9.1.0");
        assertEquals(List.of("cpu-memory-0", "memory", "I/O"), imp.addressSpaces().stream().map(
                dev.mmiomediator.memory.AddressSpace::name).toList());
        // the blog dropped QEMU's blank line after the last block
        assertEquals(dump + "\n", MtreeExporter.tree(imp));
        assertEquals(List.of(
                "  0000000000001000-000000000000ffff (prio 0, rom): riscv.spike.mrom",
                "  0000000001000000-000000000100000f (prio 1, i/o): riscv.htif.uart",
                "  0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi",
                "  0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer",
                "  0000000080000000-0000000087ffffff (prio 0, ram): riscv.spike.ram"),
                ranges(FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "9.1.0"), "memory"));
    }

    @Test
    void qemu10050ExcerptWithElisionsIsReadWithANoteAndReExportedWithoutThem() throws IOException {
        String dump = version("qemu-10.0.50-riscv64-virt.tree.txt");
        MtreeImport imp = importDump(dump, "10.0.50");
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("2 lines '...'")), imp.notes().toString());
        assertEquals(dump.replace("    ...\n", "") + "\n", MtreeExporter.tree(imp));
    }

    @Test
    void qemu4250SpaceStuffedExcerptIsReadAsQemuPrintedIt() throws IOException {
        // a mail sent format=flowed: every region line one space deeper
        String dump = version("qemu-4.2.50-hppa.tree.txt");
        MtreeImport imp = importDump(dump, "4.2.50");
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("space-stuffing")), imp.notes().toString());
        String unstuffed = dump.replaceAll("(?m)^ ", "");
        assertEquals(unstuffed + "\n", MtreeExporter.tree(imp));
        assertTrue(ranges(FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "4.2.50"), "memory").contains(
                "  0000000000000000-00000000efffffff (prio -1, ram): ram"));
    }

    @Test
    void aLowerCaseKvmFlatDumpOf2019KeepsItsTag() {
        String dump = version("qemu-2019-12-ppc64-pseries.flat.txt");
        FlatDump d = FlatDump.parse(dump, "2019");
        FlatDump.Range ram = d.views().get(0).ranges().get(0);
        assertEquals("ppc_spapr.ram", ram.name());
        assertEquals("kvm", ram.suffix());
        assertTrue(ram.acceleratorMapped());
        assertEquals(dump + "\n", d.printed());
    }

    @Test
    void theFormatOfQemu29AndEarlierIsRefusedInOneLineNamingIt() {
        dev.mmiomediator.input.MtreeFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.mmiomediator.input.MtreeFormatException.class,
                () -> importDump(version("pre-2.10-xtensa-lx60.tree.txt"), "lx60"));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("QEMU 2.9 and earlier") && e.getMessage().contains("2.10 and later"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /**
     * A 7.2 {@code -D} capture printed as QEMU 2.10 to 2.12 print aliases (type {@code i/o} whatever the target),
     * one block per address space: derived from the real capture, so its flat views must still be QEMU's.
     */
    @TestFactory
    Stream<DynamicTest> dumpsWhoseAliasesPrintIoAreReExportedSoAndRenderAsQemusFlatViews() {
        // case 5: fails without DumpStyle.aliasTargetTypes (the re-export would print the targets' types)
        List<DynamicTest> tests = new ArrayList<>();
        // captures with aliases of RAM (where the two formats differ) and no nv- region (2.12 had none; an nv- alias
        // line is the only trace of its flag, which this rewrite would lose)
        for (String capture : List.of("x86-pc", "q35-bare", "x86-pc-isa", "x86-q35-ovmf", "x86-q35-storage")) {
            tests.add(DynamicTest.dynamicTest(capture, () -> {
                String dump = ungrouped(QemuDumps.tree(capture, true)).replaceAll(
                        "\\(prio (-?[0-9]+), (?:ram|rom|romd|ramd)\\): alias ", "(prio $1, i/o): alias ");
                MtreeImport imp = importDump(dump, capture + " as 2.10-2.12");
                assertFalse(imp.style().aliasTargetTypes(), imp.notes().toString());
                assertEquals(dump, MtreeExporter.tree(imp));
                FlatDump ours = FlatDump.parse(MtreeExporter.flat(imp.addressSpaces()), "ours");
                FlatDump qemu = FlatDump.parse(QemuDumps.flat(capture), capture);
                assertEquals(List.of(), QemuCaptureTest.diff(ours.canonicalAddressSpaces(), qemu.canonicalAddressSpaces()));
            }));
        }
        return tests.stream();
    }

    /**
     * Synthetic, derived from the real 9.1.0 dump by the rule of QEMU's current {@code memory_region_type} (source
     * at qemu/qemu 0102503dc58d): a region in no container whose type would be {@code i/o} prints {@code container}.
     * In that dump only the roots {@code system} and {@code io} are in no container.
     */
    static final String CONTAINER_STYLE = version("qemu-9.1.0-riscv64-spike.tree.txt")
            .replace("(prio 0, i/o): system", "(prio 0, container): system")
            .replace("(prio 0, i/o): io", "(prio 0, container): io") + "\n";

    @Test
    void aDumpThatTypesParentlessRegionsContainerIsReadAndPrintedSo() throws IOException {
        MtreeImport imp = importDump(CONTAINER_STYLE, "container style");
        assertTrue(imp.style().parentlessAsContainer());
        assertEquals(CONTAINER_STYLE, MtreeExporter.tree(imp));
        String flat = MtreeExporter.flat(imp.addressSpaces(), imp.style());
        // the io root renders itself: a range of a region in no container
        assertTrue(flat.contains("  0000000000000000-000000000000ffff (prio 0, container): io\n"), flat);
        assertTrue(flat.contains("  0000000080000000-0000000087ffffff (prio 0, ram): riscv.spike.ram\n"), flat);
        FlatDump.parse(flat, "ours"); // and our flat dump reads back
        // an alias to a region placed nowhere prints container too
        String alias = "address-space: memory\n"
                + "  0000000000000000-ffffffffffffffff (prio 0, container): system\n"
                + "    0000000000001000-0000000000001fff (prio 0, container): alias window @unplaced 0000000000000000-0000000000000fff\n"
                + "\n"
                + "memory-region: unplaced\n"
                + "  0000000000000000-0000000000000fff (prio 0, container): unplaced\n"
                + "    0000000000000000-00000000000000ff (prio 0, i/o): regs\n"
                + "\n";
        assertEquals(alias, MtreeExporter.tree(importDump(alias, "alias")));
    }

    @Test
    void theFormatOfQemu1IsRefusedInOneLineNamingIt() {
        // synthetic: the layout of QEMU 1.x's mtree_info (a bare 'memory' header, '(prio P)' without a type)
        String dump = "memory\n0000000000000000-7ffffffffffffffe (prio 0): system\n";
        dev.mmiomediator.input.MtreeFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.mmiomediator.input.MtreeFormatException.class, () -> importDump(dump, "1.x"));
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("QEMU 1.x"), e.getMessage());
    }

    @Test
    void theMonitorsBannerAndPromptPastedWithADumpAreSkipped() throws IOException {
        // as the 9.1.0 blog post shows it
        String dump = version("qemu-9.1.0-riscv64-spike.tree.txt");
        MtreeImport imp = importDump("QEMU 9.1.0 monitor - type 'help' for more information\n(qemu) info mtree\n" + dump,
                "pasted");
        assertEquals(dump + "\n", MtreeExporter.tree(imp));
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("2 monitor lines")), imp.notes().toString());
        String flat = version("qemu-2019-12-ppc64-pseries.flat.txt");
        assertTrue(FlatDump.looksFlat("(qemu) info mtree -f\n" + flat));
        assertEquals(flat + "\n", FlatDump.parse("(qemu) info mtree -f\n" + flat, "pasted").printed());
    }

    @Test
    void aDumpIndentedAsACodeBlockIsReadWithItsIndentTakenOff() throws IOException {
        // as the ppci page publishes its dump: four spaces before every line (here the 9.1.0 dump so)
        String dump = version("qemu-9.1.0-riscv64-spike.tree.txt");
        String block = ("(qemu) info mtree\n" + dump).replaceAll("(?m)^(?=.)", "    ");
        MtreeImport imp = importDump(block, "code block");
        assertEquals(dump + "\n", MtreeExporter.tree(imp));
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("indented 4 spaces")), imp.notes().toString());
        String flat = version("qemu-2019-12-ppc64-pseries.flat.txt");
        String flatBlock = flat.replaceAll("(?m)^(?=.)", "    ");
        assertTrue(FlatDump.looksFlat(flatBlock));
        FlatDump d = FlatDump.parse(flatBlock, "code block");
        assertEquals(flat + "\n", d.printed());
        assertEquals(1, d.notes().size(), d.notes().toString());
    }

    @Test
    void elidedRangesInAFlatExcerptAreDroppedWithANote() {
        // the shape of a qemu-devel mail (Dongli Zhang, kdump of an aarch64 guest with pvtime): prompt, "... ..." around ranges
        String paste = "(qemu) info mtree -f\n... ...\n"
                + "  00000000090a0000-00000000090a0fff (prio 0, ram): pvtime KVM\n... ...\n"
                + "  0000000040000000-00000001bfffffff (prio 0, ram): mach-virt.ram KVM\n... ...\n";
        assertTrue(FlatDump.looksFlat(paste));
        FlatDump d = FlatDump.parse(paste, "mail");
        assertEquals(2, d.views().get(0).ranges().size());
        assertTrue(d.views().get(0).headerless());
        assertTrue(d.notes().get(0).contains("3 lines '...'"), d.notes().toString());
        PassthroughAudit audit = PassthroughAudit.of(d, VcpuSpaces.defaults());
        assertEquals(2, audit.notes().size(), audit.notes().toString());
    }
}
