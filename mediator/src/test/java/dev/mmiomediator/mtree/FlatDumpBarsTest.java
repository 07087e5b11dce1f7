package dev.mmiomediator.mtree;

import dev.mmiomediator.input.MtreeFormatException;

import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** VFIO BARs found in flat dumps from their pieces' names. */
class FlatDumpBarsTest {
    static PassthroughBar bar(String device, int bar) {
        return new PassthroughBar(PciAddress.parse(device), bar);
    }

    static FlatDump memflow() {
        return FlatDump.parse(QemuDumps.read("memflow-vfio5.flat.txt"), "memflow-vfio5.flat.txt");
    }

    /** The view whose address spaces include {@code asName}. */
    static FlatDumpBars.ViewBars viewOf(List<FlatDumpBars.ViewBars> all, String asName) {
        for (FlatDumpBars.ViewBars v : all) {
            if (v.view().addressSpaces().stream().anyMatch(a -> a.name().equals(asName))) {
                return v;
            }
        }
        throw new AssertionError("no view with AS " + asName);
    }

    static String extent(FlatDumpBars.Bar b) {
        return b.bar() + " " + Long.toHexString(b.start()) + "-" + Long.toHexString(b.last());
    }

    static FlatDump flat(String ranges) {
        return FlatDump.parse("FlatView #0\n AS \"memory\", root: system\n Root memory region: system\n" + ranges,
                "test.flat");
    }

    static String range(String start, String last, String type, String name) {
        return "  " + start + "-" + last + " (prio 0, " + type + "): " + name + "\n";
    }

    @Test
    void memflowSystemViewHasEveryMemoryBarWithItsExtentReadFromTheFile() {
        List<String> got = new ArrayList<>();
        viewOf(memflow().passthroughBars(), "memory").bars().forEach(b -> got.add(extent(b)));
        // by hand from memflow-vfio5.flat.txt, FlatView #1, ascending start
        assertEquals(List.of(
                "0000:0c:00.0 BAR 0 c0000000-c0ffffff",
                "0000:0e:00.3 BAR 0 c1a00000-c1afffff",
                "0000:0c:00.3 BAR 0 c2000000-c2000fff",
                "0000:0c:00.1 BAR 0 c2200000-c2203fff",
                "0000:0c:00.0 BAR 1 800000000-80fffffff",
                "0000:0c:00.0 BAR 3 810000000-811ffffff",
                "0000:0c:00.2 BAR 0 812100000-81213ffff",
                "0000:0c:00.2 BAR 3 812140000-81214ffff"), got);
    }

    @Test
    void memflowBar0Of0c000SpansBothPiecesAndTheQuirkBetweenThem() {
        FlatDumpBars.Bar b = viewOf(memflow().passthroughBars(), "memory").find(bar("0000:0c:00.0", 0));
        assertNotNull(b);
        assertEquals(2, b.pieces());
        List<String> names = new ArrayList<>();
        b.ranges().forEach(r -> names.add(r.name()));
        assertEquals(List.of("0000:0c:00.0 BAR 0 mmaps[0]", "vfio-nvidia-bar0-88000-mirror-quirk",
                "0000:0c:00.0 BAR 0 mmaps[0]"), names);
        // the second piece starts at 0xc0089000 @0x89000: its region starts at 0xc0000000, the BAR's start
        assertEquals(0xc0000000L, b.start());
        assertEquals(0xc0ffffffL, b.ranges().get(2).last());
    }

    @Test
    void memflowMsixTableBetweenPiecesBelongsToTheBar() {
        FlatDumpBars.Bar b = viewOf(memflow().passthroughBars(), "memory").find(bar("0000:0e:00.3", 0));
        assertEquals(3, b.ranges().size());
        FlatDump.Range msix = b.ranges().get(1);
        assertEquals("msix-table", msix.name());
        assertEquals(0xc1afe000L, msix.start());
    }

    @Test
    void memflowMsixTablesOfEmulatedDevicesBelongToNoBar() {
        for (FlatDumpBars.Bar b : viewOf(memflow().passthroughBars(), "memory").bars()) {
            for (FlatDump.Range r : b.ranges()) {
                assertTrue(Long.compareUnsigned(r.start(), b.start()) >= 0 && Long.compareUnsigned(r.last(), b.last()) <= 0,
                        b + " holds " + r);
            }
        }
        long owned = viewOf(memflow().passthroughBars(), "memory").bars().stream()
                .flatMap(b -> b.ranges().stream()).filter(r -> r.name().equals("msix-table")).count();
        assertEquals(1, owned, "only 0000:0e:00.3's msix-table lies inside a BAR");
    }

    @Test
    void memflowIoViewHasTheIoPortBarOfTheGpu() {
        List<FlatDumpBars.Bar> io = viewOf(memflow().passthroughBars(), "I/O").bars();
        assertEquals(1, io.size());
        assertEquals("0000:0c:00.0 BAR 5 e000-e07f", extent(io.get(0)));
        assertEquals(1, io.get(0).pieces());
    }

    @Test
    void memflowSmramViewShowsTheSameBarsAsTheSystemView() {
        List<FlatDumpBars.ViewBars> all = memflow().passthroughBars();
        List<String> system = new ArrayList<>();
        List<String> smram = new ArrayList<>();
        viewOf(all, "memory").bars().forEach(b -> system.add(extent(b)));
        viewOf(all, "KVM-SMRAM").bars().forEach(b -> smram.add(extent(b)));
        assertEquals(system, smram);
    }

    @Test
    void dumpWithoutVfioNamesHasNoBars() {
        for (FlatDumpBars.ViewBars v : FlatDump.parse(QemuDumps.flat("q35-bare"), "q35-bare").passthroughBars()) {
            assertEquals(List.of(), v.bars());
        }
    }

    @Test
    void barPieceOffsetIsFromTheBarRegionAndMmapOffsetFromThePiece() {
        // the trapped part of BAR 0 at @0x1000 puts the BAR at 0x10000; mmaps[1] at @0 starts later, inside it
        FlatDump d = flat(range("0000000000010000", "0000000000010fff", "ramd", "0000:01:00.0 BAR 0 mmaps[0]")
                + "  0000000000011000-0000000000011fff (prio 0, i/o): 0000:01:00.0 BAR 0 @0000000000001000\n"
                + range("0000000000012000", "0000000000013fff", "ramd", "0000:01:00.0 BAR 0 mmaps[1]"));
        FlatDumpBars.Bar b = d.passthroughBars().get(0).bars().get(0);
        assertEquals("0000:01:00.0 BAR 0 10000-13fff", extent(b));
        assertEquals(3, b.pieces());
    }

    @Test
    void extentStartsAtTheLowestPieceStartMinusOffset() {
        // only the second half of the BAR's first mmap renders: the piece's offset still gives the BAR's start
        FlatDump d = flat(range("0000000000010000", "0000000000010fff", "i/o", "hider")
                + "  0000000000011000-0000000000011fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] @0000000000001000\n");
        List<FlatDumpBars.Bar> bars = d.passthroughBars().get(0).bars();
        assertEquals("0000:01:00.0 BAR 0 10000-11fff", extent(bars.get(0)));
        assertEquals(List.of("hider", "0000:01:00.0 BAR 0 mmaps[0]"),
                bars.get(0).ranges().stream().map(FlatDump.Range::name).toList());
    }

    @Test
    void rangeCrossingTheExtentsEdgeIsNotTheBars() {
        FlatDump d = flat(range("000000000000f000", "0000000000010fff", "i/o", "outside")
                + "  0000000000011000-0000000000011fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] @0000000000001000\n");
        assertEquals(List.of("0000:01:00.0 BAR 0 mmaps[0]"),
                d.passthroughBars().get(0).bars().get(0).ranges().stream().map(FlatDump.Range::name).toList());
    }

    @Test
    void rangeNamedForAnotherBarBelongsToThatBar() {
        // a guest programmed 0000:02:00.0 BAR 0 over the middle of 0000:01:00.0 BAR 0
        FlatDump d = flat(range("0000000000010000", "0000000000010fff", "ramd", "0000:01:00.0 BAR 0 mmaps[0]")
                + range("0000000000011000", "0000000000011fff", "ramd", "0000:02:00.0 BAR 0 mmaps[0]")
                + range("0000000000012000", "0000000000012fff", "i/o", "msix-table")
                + "  0000000000013000-0000000000013fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] @0000000000003000\n");
        List<FlatDumpBars.Bar> bars = d.passthroughBars().get(0).bars();
        assertEquals("0000:01:00.0 BAR 0 10000-13fff", extent(bars.get(0)));
        assertEquals(List.of("0000:01:00.0 BAR 0 mmaps[0]", "msix-table", "0000:01:00.0 BAR 0 mmaps[0]"),
                bars.get(0).ranges().stream().map(FlatDump.Range::name).toList());
        assertEquals("0000:02:00.0 BAR 0 11000-11fff", extent(bars.get(1)));
    }

    @Test
    void pieceOffsetBeyondItsStartIsAnErrorNamingTheLine() {
        FlatDump d = flat(range("0000000000000000", "0000000000000fff", "ram", "pc.ram")
                + "  0000000000001000-0000000000001fff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0] @0000000000002000\n");
        MtreeFormatException e = assertThrows(MtreeFormatException.class, d::passthroughBars);
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("'0000:01:00.0 BAR 0 mmaps[0]' at 0x1000 @0x2000"), e.getMessage());
    }
}
