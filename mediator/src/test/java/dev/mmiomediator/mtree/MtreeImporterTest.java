package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.memory.Size;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MtreeImporterTest {

    static MtreeImport load(String dump) throws IOException {
        return new MtreeImporter().importTree(new StringReader(dump), "test.txt");
    }

    static MtreeFormatException bad(String dump) {
        return assertThrows(MtreeFormatException.class, () -> load(dump));
    }

    static String line(int indent, String start, String end, int prio, String type, String rest) {
        return " ".repeat(indent) + start + "-" + end + " (prio " + prio + ", " + type + "): " + rest + "\n";
    }

    static final String Z = "0000000000000000";
    static final String F = "ffffffffffffffff";

    @Test
    void leafIoIsMmioAndIoWithChildrenIsAContainer() throws IOException {
        MtreeImport imp = load("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000001000", "0000000000001fff", 0, "i/o", "dev")
                + line(6, "0000000000001000", "00000000000010ff", 0, "i/o", "reg"));
        MemoryRegion system = imp.addressSpaces().get(0).root();
        assertEquals(RegionKind.CONTAINER, system.kind());
        MemoryRegion dev = system.subregions().get(0);
        assertEquals(RegionKind.CONTAINER, dev.kind());
        assertEquals(RegionKind.MMIO, dev.subregions().get(0).kind());
        assertEquals(0x1000L, dev.address());
        assertEquals(0L, dev.subregions().get(0).address());
        assertEquals(Size.FULL, system.size());
    }

    @Test
    void bigIoLeafIsAnEmptyBusNotMmio() throws IOException {
        // an unknown bus-master container whose disabled alias a dump without -D does not print
        MtreeImport imp = new MtreeImporter(RegionCatalogue.empty()).importTree(new StringReader("address-space: nic\n"
                + line(2, Z, F, 0, "i/o", "my bus master root") + "\n"
                + "address-space: regs\n"
                + line(2, Z, "0000000000000fff", 0, "i/o", "regs") + "\n"), "test.txt");
        assertEquals(RegionKind.CONTAINER, imp.addressSpaces().get(0).root().kind());
        assertEquals(0, imp.addressSpaces().get(0).flatView().size());
        assertEquals(RegionKind.MMIO, imp.addressSpaces().get(1).root().kind());
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("'my bus master root'") && n.contains("empty container")));
    }

    @Test
    void catalogueMakesIoRootMmioWithChildren() throws IOException {
        MtreeImport imp = load("address-space: I/O\n"
                + line(2, Z, "000000000000ffff", 0, "i/o", "io")
                + line(4, "0000000000000060", "0000000000000060", 0, "i/o", "i8042-data"));
        AddressSpace io = imp.addressSpaces().get(0);
        assertEquals(RegionKind.MMIO, io.root().kind());
        FlatRange gap = io.flatView().rangeAt(0x61);
        assertEquals("io", gap.region().name());
        assertEquals(0x61L, gap.offsetInRegion());
        assertEquals(Size.of(1), io.root().subregions().get(0).size());
    }

    @Test
    void notesNameOnlyTheKindRuleThatDecided() throws IOException {
        RegionCatalogue both = RegionCatalogue.empty().plus("mmio=dev").plus("container=dev");
        MtreeImport imp = new MtreeImporter(both).importTree(new StringReader("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000001000", "0000000000001fff", 0, "i/o", "dev") + "\n"), "test.txt");
        assertEquals(RegionKind.CONTAINER, imp.addressSpaces().get(0).root().subregions().get(0).kind());
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("catalogue: container 'dev'")), imp.notes().toString());
        assertFalse(imp.notes().stream().anyMatch(n -> n.contains("catalogue: mmio 'dev'")), imp.notes().toString());
    }

    @Test
    void zeroSizeCatalogueNameImportsAsEmpty() throws IOException {
        MtreeImport imp = load("address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000020000000", "0000000020000000", 1, "i/o", "tseg-blackhole"));
        assertTrue(imp.addressSpaces().get(0).root().subregions().get(0).size().isZero());
    }

    @Test
    void hiddenDisabledParentIsDetectedFromTheIndentJump() throws IOException {
        String dump = "address-space: I/O\n"
                + line(2, Z, "000000000000ffff", 0, "i/o", "io")
                + line(6, "0000000000000600", "0000000000000603", 0, "i/o", "acpi-evt")
                + line(4, "0000000000000cf8", "0000000000000cfb", 0, "i/o", "pci-conf-idx")
                + "\n";
        MtreeImport imp = load(dump);
        assertEquals(1, imp.hiddenPlaceholders().size());
        MemoryRegion hidden = imp.hiddenPlaceholders().get(0);
        assertFalse(hidden.isEnabled());
        assertEquals("acpi-evt", hidden.subregions().get(0).name());
        // the disabled subtree hides nothing: 0x600 is answered by io itself
        assertEquals("io", imp.addressSpaces().get(0).flatView().rangeAt(0x600).region().name());
        assertEquals(dump, MtreeExporter.tree(imp));
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("test.txt:3") && n.contains("disabled region")));
    }

    @Test
    void hiddenDisabledSiblingIsDetectedFromTheBreakInPrintOrder() throws IOException {
        // 'x' (0x2000, prio 1) prints after 'b0' (0x2000, prio 0) at the same depth: QEMU prints children by
        // address then descending priority, so x is not b's child but the child of a disabled sibling of b
        String dump = "address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000002000", "0000000000002fff", 1, "i/o", "b")
                + line(6, "0000000000002000", "00000000000020ff", 0, "i/o", "b0")
                + line(6, "0000000000002000", "00000000000020ff", 1, "ram", "x")
                + "\n";
        MtreeImport imp = load(dump);
        assertEquals(1, imp.hiddenPlaceholders().size());
        assertEquals("x", imp.hiddenPlaceholders().get(0).subregions().get(0).name());
        assertEquals("b0", imp.addressSpaces().get(0).flatView().rangeAt(0x2000).region().name());
        assertEquals(dump, MtreeExporter.tree(imp));
    }

    @Test
    void childOutsideItsParentStaysItsChild() throws IOException {
        String dump = "address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000002000", "0000000000002fff", 0, "i/o", "b")
                + line(6, "0000000000003000", "00000000000030ff", 0, "ram", "x")
                + "\n";
        MtreeImport imp = load(dump);
        assertEquals(List.of(), imp.hiddenPlaceholders());
        assertNull(imp.addressSpaces().get(0).flatView().rangeAt(0x3000), "clipped to its parent");
        assertEquals(dump, MtreeExporter.tree(imp));
    }

    @Test
    void ambiguousAliasTargetIsChosenByContentAndBlockOrder() throws IOException {
        // two regions named 'bus'; the alias window 0x1000-0x1fff only meets content in the second
        String dump = "address-space: memory\n"
                + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000001000", "0000000000001fff", 1, "i/o", "alias win @bus 0000000000001000-0000000000001fff")
                + line(4, "0000000000002000", "0000000000002fff", 1, "i/o", "alias win2 @bus 0000000000000000-0000000000000fff")
                + "\n"
                + "memory-region: bus\n"
                + line(2, Z, F, 0, "i/o", "bus")
                + line(4, "0000000000000000", "00000000000000ff", 0, "ram", "ram0")
                + "\n"
                + "memory-region: bus\n"
                + line(2, Z, F, 0, "i/o", "bus")
                + line(4, "0000000000001000", "00000000000010ff", 0, "ram", "ram1")
                + "\n";
        MtreeImport imp = load(dump);
        MemoryRegion system = imp.addressSpaces().get(0).root();
        MemoryRegion win = system.subregions().stream().filter(r -> r.name().equals("win")).findFirst().orElseThrow();
        MemoryRegion win2 = system.subregions().stream().filter(r -> r.name().equals("win2")).findFirst().orElseThrow();
        assertEquals("ram1", win.aliasTarget().subregions().get(0).name());
        assertEquals("ram0", win2.aliasTarget().subregions().get(0).name());
        assertSame(imp.memoryRegionBlocks().get(1), win.aliasTarget());
        assertEquals("ram1", imp.addressSpaces().get(0).flatView().rangeAt(0x1000).region().name());
        assertEquals("ram0", imp.addressSpaces().get(0).flatView().rangeAt(0x2000).region().name());
        assertEquals(dump, MtreeExporter.tree(imp));
    }

    @Test
    void aliasNamedLikeItsTargetDoesNotTargetItself() throws IOException {
        MtreeImport imp = load("address-space: cpu-smm-0\n"
                + line(2, Z, F, 0, "i/o", "memory")
                + line(4, Z, "00000000ffffffff", 1, "i/o", "alias smram @smram 0000000000000000-00000000ffffffff")
                + "\n"
                + "memory-region: smram\n"
                + line(2, Z, "00000000ffffffff", 0, "i/o", "smram") + "\n");
        MemoryRegion alias = imp.addressSpaces().get(0).root().subregions().get(0);
        assertEquals(RegionKind.CONTAINER, alias.aliasTarget().kind());
    }

    @Test
    void regionWhoseAbsoluteAddressWrapsRoundTripsWithQemusOverflowMarker() throws IOException {
        dev.mmiomediator.memory.MemorySystem sys = new dev.mmiomediator.memory.MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        MemoryRegion high = sys.container("high", Size.of(Long.MIN_VALUE));
        root.addSubregion(high, Long.MIN_VALUE);
        high.addSubregion(sys.ram("wrapped", Size.of(0x1000)), 0x9000000000000000L);
        AddressSpace as = sys.addressSpace("memory", root);
        String dump = MtreeExporter.tree(List.of(as), false);
        assertTrue(dump.contains("[DETECTED OVERFLOW!]       1000000000000000-1000000000000fff (prio 0, ram): wrapped"), dump);
        MtreeImport imp = load(dump);
        assertEquals(dump, MtreeExporter.tree(imp));
        assertEquals(0, imp.addressSpaces().get(0).flatView().size(), "clipped away, as in QEMU");
    }

    @Test
    void malformedRegionLineNamesFileLineAndExpectation() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + "    00000000000010zz-0000000000001fff (prio 0, ram): broken\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("test.txt:3: "), e.getMessage());
        assertTrue(e.getMessage().contains("expected a region line"), e.getMessage());
    }

    @Test
    void unknownTypeIsRejected() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "weird", "system"));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("ram, rom, ramd, romd, i/o"), e.getMessage());
    }

    @Test
    void oddIndentIsRejected() {
        // (a dump whose every region line is indented one space more is read as space-stuffed by a mail client)
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(5, Z, "00000000000000ff", 0, "i/o", "regs"));
        assertTrue(e.getMessage().contains("indent of 5 spaces"), e.getMessage());
    }

    @Test
    void aliasWithoutAnyTargetBlockLeadsIntoAnUnknownStandInAndReExportsUnchanged() throws IOException {
        // an excerpt: the author left out the memory-region block (issue 14, case 4)
        String dump = "address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(4, "0000000000001000", "0000000000001fff", 0, "ram", "alias a @nowhere 0000000000000000-0000000000000fff")
                + line(4, "0000000000002000", "0000000000002fff", 0, "ram", "alias b @nowhere 0000000000003000-0000000000003fff")
                + "\n";
        MtreeImport imp = load(dump);
        assertEquals(dump, MtreeExporter.tree(imp));
        assertEquals(1, imp.unknownTargets().size());
        assertEquals("nowhere", imp.unknownTargets().get(0).name());
        assertEquals(0x4000, imp.unknownTargets().get(0).size().bytes(), "covers the widest window");
        List<String> notes = imp.notes().stream().filter(n -> n.contains("'nowhere'")).toList();
        assertEquals(1, notes.size(), "one note per missing target: " + imp.notes());
        assertTrue(notes.get(0).contains("2 aliases") && notes.get(0).contains("unknown"), notes.get(0));
        String flat = MtreeExporter.flat(imp.addressSpaces());
        assertTrue(flat.contains("  0000000000001000-0000000000001fff (prio 0, ram): nowhere\n")
                && flat.contains("  0000000000002000-0000000000002fff (prio 0, ram): nowhere @0000000000003000\n"), flat);
    }

    @Test
    void aliasWindowOfDifferentLengthIsRejected() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(4, Z, "0000000000000fff", 0, "ram", "alias a @r 0000000000000000-0000000000001fff") + "\n");
        assertTrue(e.getMessage().contains("not as long as its range"), e.getMessage());
    }

    @Test
    void regionInsideAnAliasIsRejectedInADumpWithDisabledRegions() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(4, Z, "0000000000000fff", 0, "ram", "alias a @r 0000000000000000-0000000000000fff")
                + line(6, Z, "00000000000000ff", 0, "ram", "inner")
                + line(4, "0000000000100000", "0000000000100fff", 0, "i/o", "off [disabled]") + "\n"
                + "memory-region: r\n" + line(2, Z, "0000000000000fff", 0, "ram", "r") + "\n");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("inside alias 'a'"), e.getMessage());
    }

    @Test
    void secondRootInABlockIsRejected() {
        MtreeFormatException e = bad("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(2, Z, F, 0, "i/o", "other"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("second root region"), e.getMessage());
    }

    @Test
    void regionLineBeforeAnyBlockIsRejected() {
        MtreeFormatException e = bad(line(2, Z, F, 0, "i/o", "system"));
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("address-space: NAME"), e.getMessage());
    }

    @Test
    void flatDumpGivenAsTreeIsRejectedWithAHint() {
        MtreeFormatException e = bad("FlatView #0\n AS \"memory\", root: system\n");
        assertTrue(e.getMessage().contains("flat dump"), e.getMessage());
    }

    @Test
    void emptyInputIsRejected() {
        MtreeFormatException e = bad("\n\n");
        assertTrue(e.getMessage().contains("no 'address-space:' block"), e.getMessage());
    }

    @Test
    void memoryRegionBlocksWithoutAnAddressSpaceAreRejected() {
        // fuzz seeds 20264998 and -4242417104: a lone header imported as a map of no address space, whose flat
        // export (empty) the flat reader refuses
        for (String dump : List.of("memory-region: pc.ram\n", "\rmemory-region: pc.ram\r",
                "memory-region: pc.ram\n" + line(2, Z, "0000000000000fff", 0, "ram", "pc.ram") + "\n")) {
            MtreeFormatException e = bad(dump);
            assertEquals("test.txt: no 'address-space:' block found (only 'memory-region:' blocks): expected the "
                    + "output of QEMU's 'info mtree' (or 'info mtree -D')", e.getMessage());
        }
    }

    @Test
    void garbageFlatDumpLineNamesItsLine() {
        MtreeFormatException e = assertThrows(MtreeFormatException.class, () -> FlatDump.parse(
                "FlatView #0\n AS \"memory\", root: system\n Root memory region: system\n  nonsense\n", "f.txt"));
        assertEquals(4, e.line());
        assertTrue(e.getMessage().startsWith("f.txt:4: "), e.getMessage());
    }

    @Test
    void readOnlyAliasFromTheCatalogueRendersAsRom() throws IOException {
        MtreeImport imp = load("address-space: memory\n" + line(2, Z, F, 0, "i/o", "system")
                + line(4, "00000000000c0000", "00000000000c3fff", 1, "ram", "alias pam-rom @pc.ram 00000000000c0000-00000000000c3fff")
                + "\n" + "memory-region: pc.ram\n" + line(2, Z, "000000001fffffff", 0, "ram", "pc.ram") + "\n");
        FlatRange r = imp.addressSpaces().get(0).flatView().rangeAt(0xc0000);
        assertEquals("rom", MtreeTypes.of(r));
        assertEquals(0xc0000L, r.offsetInRegion());
        assertEquals(List.of(), imp.hiddenPlaceholders());
    }
}
