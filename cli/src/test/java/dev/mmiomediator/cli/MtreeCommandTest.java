package dev.mmiomediator.cli;

import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.mtree.FlatDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MtreeCommandTest {
    @TempDir
    Path dir;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    Path fixture(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, QemuDumps.read(name));
        return p;
    }

    @Test
    void flattenOfQ35BareTreeWithDisabledRegionsEqualsQemusFlatDump() throws Exception {
        CliRun r = run("mtree", "flatten", fixture("q35-bare.treeD.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(FlatDump.parse(QemuDumps.flat("q35-bare"), "qemu").canonicalViews(),
                FlatDump.parse(r.out(), "cli").canonicalViews());
    }

    @Test
    void flattenOfQ35BareTreeWithoutDisabledRegionsEqualsQemusFlatDump() throws Exception {
        CliRun r = run("mtree", "flatten", fixture("q35-bare.tree.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(FlatDump.parse(QemuDumps.flat("q35-bare"), "qemu").canonicalViews(),
                FlatDump.parse(r.out(), "cli").canonicalViews());
    }

    @Test
    void flattenWithoutFileRendersTheBundledRealDump() {
        CliRun r = run("mtree", "flatten");
        assertEquals(0, r.code(), r.err());
        assertEquals(FlatDump.parse(QemuDumps.flat("x86-q35-devices"), "qemu").canonicalViews(),
                FlatDump.parse(r.out(), "cli").canonicalViews());
    }

    @Test
    void treeReproducesTheDumpItReads() throws Exception {
        for (String f : List.of("x86-q35-devices.tree.txt", "x86-q35-devices.treeD.txt")) {
            CliRun r = run("mtree", "tree", fixture(f).toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(QemuDumps.read(f), r.out(), f);
        }
    }

    @Test
    void treeWithDashDOnADumpWithoutItShowsHiddenPlaceholders() throws Exception {
        CliRun r = run("mtree", "tree", "-D", fixture("q35-bare.tree.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(hidden disabled region) [disabled]"), r.out());
    }

    @Test
    void flattenOfAFlatDumpPrintsItBack() throws Exception {
        CliRun r = run("mtree", "flatten", fixture("memflow-vfio5.flat.txt").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(FlatDump.parse(QemuDumps.read("memflow-vfio5.flat.txt"), "memflow").canonicalViews(),
                FlatDump.parse(r.out(), "cli").canonicalViews());
    }

    @Test
    void malformedLineExitsTwoWithFileAndLineAndNoStackTrace() throws Exception {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                + "    0000000000001000-00000000000010zz (prio 0, ram): broken\n");
        CliRun r = run("mtree", "flatten", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("mmio-mediator: " + bad + ":3: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingFileExitsTwo() {
        CliRun r = run("mtree", "tree", dir.resolve("nope.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.txt"), r.err());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void treeOfAFlatDumpIsBadInput() throws Exception {
        CliRun r = run("mtree", "tree", fixture("q35-bare.flat.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("flat dump"), r.err());
    }

    @Test
    void unknownOptionAndBadHintExitTwo() throws Exception {
        assertEquals(2, run("mtree", "flatten", "--bogus").code());
        CliRun r = run("mtree", "flatten", "--hint", "sparkly=io");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("sparkly=io") || r.err().contains("sparkly io"), r.err());
    }

    @Test
    void hintOnTheCommandLineChangesTheRendering() throws Exception {
        // declaring 'hpet' a container removes it from the flat view
        Path f = fixture("q35-bare.treeD.txt");
        assertTrue(run("mtree", "flatten", f.toString()).out().contains("): hpet"));
        CliRun r = run("mtree", "flatten", "--hint", "container=hpet", f.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("): hpet"), r.out());
    }

    @Test
    void catalogueFileIsReadAndListed() throws Exception {
        Path cat = dir.resolve("my.catalogue");
        Files.writeString(cat, "# mine\nmmio  my-device\nreadonly /my-rom-.*/\n");
        CliRun r = run("mtree", "catalogue", "--catalogue", cat.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("mmio my-device  (" + cat + ":2)"), r.out());
        assertTrue(r.out().contains("readonly /my-rom-.*/"), r.out());
        Files.writeString(cat, "shiny thing\n");
        CliRun bad = run("mtree", "catalogue", "--catalogue", cat.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains(cat + ":1"), bad.err());
        assertEquals("", bad.out(), "nothing printed before the error");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"--help"}, {"mtree", "--help"}, {"mtree", "flatten", "--help"},
                {"mtree", "tree", "--help"}, {"mtree", "catalogue", "--help"}}) {
            CliRun r = run(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd));
            assertTrue(r.out().startsWith("Usage: mmio-mediator"), r.out());
        }
    }

    @Test
    void noCommandIsBadInput() {
        CliRun r = run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("expected a command"), r.err());
    }

    @Test
    void notesExplainTheImportersDecisions() throws Exception {
        CliRun r = run("mtree", "flatten", "--notes", fixture("q35-bare.tree.txt").toString());
        assertEquals(0, r.code());
        assertTrue(r.err().contains("disabled region the dump does not show"), r.err());
        assertTrue(r.err().contains("catalogue: container 'bus master container'"), r.err());
    }

    @Test
    void notesOfAFlatDumpSayWhatWasRepaired() throws Exception {
        // the omap sx1 mail of 2020: space-stuffed, cut with '...', with its dispatch tree ('info mtree -f -d')
        Path sx1 = dir.resolve("sx1.flat.txt");
        Files.writeString(sx1, QemuDumps.read("versions/qemu-4.2.50-arm-sx1.flat.txt"));
        CliRun r = run("mtree", "flatten", "--notes", sx1.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("space-stuffing"), r.err());
        assertTrue(r.err().contains("1 dispatch tree"), r.err());
        assertTrue(r.err().contains("'...'"), r.err());
        assertFalse(r.out().contains("Dispatch"), r.out());
    }

    // ---------------------------------------------------------------- issue 14: dumps as users publish them

    @Test
    void flattenOfAFlatDumpKeepsItsAcceleratorTags() throws Exception {
        CliRun r = run("mtree", "flatten", fixture("memflow-vfio5.flat.txt").toString());
        assertEquals(0, r.code(), r.err());
        // byte for byte, with every " KVM"; the fixture lost QEMU's blank line after its last view
        assertEquals(QemuDumps.read("memflow-vfio5.flat.txt") + "\n", r.out());
    }

    @Test
    void aCrlfDumpIsPrintedBackWithCrlfLineEnds() throws Exception {
        String crlf = QemuDumps.read("q35-bare.tree.txt");
        assertTrue(crlf.contains("\r\n"), "q35-bare keeps QEMU's HMP line ends");
        CliRun tree = run("mtree", "tree", fixture("q35-bare.tree.txt").toString());
        assertEquals(0, tree.code(), tree.err());
        assertEquals(crlf, tree.out());
        CliRun flatten = run("mtree", "flatten", fixture("q35-bare.flat.txt").toString());
        assertEquals(0, flatten.code(), flatten.err());
        assertEquals(QemuDumps.read("q35-bare.flat.txt"), flatten.out());
        CliRun render = run("mtree", "flatten", fixture("q35-bare.treeD.txt").toString());
        assertEquals(0, render.code(), render.err());
        assertFalse(render.out().replace("\r\n", "").contains("\n"), "every line ends in CRLF");
        assertEquals(FlatDump.parse(QemuDumps.flat("q35-bare"), "qemu").canonicalViews(),
                FlatDump.parse(render.out(), "cli").canonicalViews());
    }

    /** A real dump cut as an author of a mail might: its address-space blocks only, no memory-region block. */
    static String excerpt(String dump) {
        return dump.substring(0, dump.indexOf("memory-region: "));
    }

    @Test
    void anExcerptWithoutItsMemoryRegionBlocksIsPrintedBackAndFlattensWithANotePerMissingTarget() throws Exception {
        String cut = excerpt(QemuDumps.read("x86-q35-devices.treeD.txt"));
        Path p = dir.resolve("excerpt.txt");
        Files.writeString(p, cut);
        CliRun tree = run("mtree", "tree", p.toString());
        assertEquals(0, tree.code(), tree.err());
        assertEquals(cut, tree.out());
        CliRun flat = run("mtree", "flatten", p.toString());
        assertEquals(0, flat.code(), flat.err());
        List<String> notes = flat.err().lines().filter(l -> l.contains("no 'memory-region:' block")).toList();
        // one per distinct alias target of the q35 dump: pc.ram, pci, system, pcie-mmcfg-mmio
        java.util.Set<String> targets = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(": alias .* @(.*) [0-9a-f]{16}-[0-9a-f]{16}( \\[disabled\\])?$",
                java.util.regex.Pattern.MULTILINE).matcher(cut);
        while (m.find()) {
            targets.add(m.group(1));
        }
        assertEquals(targets.size(), notes.size(), flat.err());
        for (String t : targets) {
            assertTrue(notes.stream().anyMatch(n -> n.contains("alias target '" + t + "'")), t + ": " + flat.err());
        }
        // 'system' and 'pci' are printed in the trees: the aliases into them lead there, so the bus-master spaces
        // share the vCPUs' view, as in QEMU's own flat dump; targets printed nowhere (pc.ram, each bridge's
        // pci_bridge_pci) are stand-ins, and only ranges of stand-ins differ from QEMU's
        FlatDump ours = FlatDump.parse(flat.out(), "cli");
        FlatDump qemu = FlatDump.parse(QemuDumps.flat("x86-q35-devices"), "qemu");
        assertEquals(view(qemu, "memory").addressSpaces().stream().map(FlatDump.AsLine::name).sorted().toList(),
                view(ours, "memory").addressSpaces().stream().map(FlatDump.AsLine::name).sorted().toList());
        java.util.Set<String> standIns = new java.util.HashSet<>();
        java.util.regex.Matcher sm = java.util.regex.Pattern.compile("alias target '([^']*)'.* stand-in ").matcher(flat.err());
        while (sm.find()) {
            standIns.add(sm.group(1));
        }
        assertTrue(standIns.contains("pc.ram") && !standIns.contains("system") && !standIns.contains("pci"), flat.err());
        List<String> qemuRanges = view(qemu, "memory").ranges().stream().map(FlatDump.Range::text).toList();
        for (FlatDump.Range r : view(ours, "memory").ranges()) {
            assertTrue(qemuRanges.contains(r.text()) || standIns.contains(r.name()), r.text());
        }
        CliRun audit = run("mtree", "audit", p.toString());
        assertEquals(0, audit.code(), audit.err());
        assertTrue(audit.out().contains("Note: "), audit.out());
    }

    @Test
    void aFlatViewPastedWithoutItsHeaderIsAuditedAsOneUnnamedAddressSpace() throws Exception {
        String text = QemuDumps.read("memflow-vfio5.flat.txt");
        int root = text.indexOf(" Root memory region: system\n");
        String paste = text.substring(root, text.indexOf("\n\n", root) + 1);
        Path p = dir.resolve("paste.txt");
        Files.writeString(p, paste);
        CliRun audit = run("mtree", "audit", p.toString());
        assertEquals(0, audit.code(), audit.err());
        assertTrue(audit.out().contains("Note: ") && audit.out().contains("unnamed address space"), audit.out());
        assertTrue(audit.out().contains("0000:0c:00.0 BAR 0  (unnamed)  00000000c0000000-00000000c0ffffff"), audit.out());
        CliRun flat = run("mtree", "flatten", p.toString());
        assertEquals(0, flat.code(), flat.err());
        assertEquals(paste + "\n", flat.out());
    }

    @Test
    void aDumpInTheFormatOfQemu29IsBadInputNamingTheFormat() throws Exception {
        Path p = dir.resolve("lx60.txt");
        Files.writeString(p, QemuDumps.read("versions/pre-2.10-xtensa-lx60.tree.txt"));
        for (String command : List.of("tree", "flatten", "audit")) {
            CliRun r = run("mtree", command, p.toString());
            assertEquals(2, r.code(), command + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains(p + ":2:") && r.err().contains("QEMU 2.9 and earlier"), r.err());
        }
    }

    static FlatDump.View view(FlatDump d, String addressSpace) {
        return d.views().stream().filter(v -> v.addressSpaces().stream().anyMatch(a -> a.name().equals(addressSpace)))
                .findFirst().orElseThrow();
    }
}
