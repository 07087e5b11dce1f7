package dev.mmiomediator.mtree;

import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.Section;
import dev.mmiomediator.fixtures.QemuDumps;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatRange;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.RegionKind;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static dev.mmiomediator.mtree.PassthroughDumps.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The importer tags QEMU's VFIO BARs (named {@code DDDD:BB:DD.F BAR n}) as passthrough BARs. */
class MtreeImporterPassthroughTest {
    static final PassthroughBar BAR0 = new PassthroughBar(PciAddress.parse("0000:01:00.0"), 0);

    static AddressSpace space(MtreeImport imp, String name) {
        return imp.addressSpaces().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    /** The tagged region {@code r} is, or is inside. */
    static PassthroughBar tagOf(MemoryRegion r) {
        for (MemoryRegion x = r; x != null; x = x.container()) {
            if (x.passthroughBar() != null) {
                return x.passthroughBar();
            }
        }
        return null;
    }

    @Test
    void barRegionIsTaggedWithItsDeviceAndIndex() throws IOException {
        MtreeImport imp = load(PassthroughDumps.ONE_BAR);
        assertEquals(1, imp.passthroughBars().size());
        MtreeImport.TaggedBar t = imp.passthroughBars().get(0);
        assertEquals("0000:01:00.0 BAR 0", t.region().name());
        assertEquals(PciAddress.parse("0000:01:00.0"), t.device());
        assertEquals(0, t.bar());
        assertEquals(BAR0, t.region().passthroughBar());
        assertEquals(List.of(PciAddress.parse("0000:01:00.0")), imp.passthroughDevices());
    }

    @Test
    void theTagCoversTheMmapPieceTheMsixTableAndTheTrappedRest() throws IOException {
        AddressSpace memory = space(load(PassthroughDumps.ONE_BAR), "memory");
        FlatRange piece = memory.flatView().rangeAt(0xc0000000L);
        FlatRange msix = memory.flatView().rangeAt(0xc0ff0000L);
        FlatRange rest = memory.flatView().rangeAt(0xc0ff0100L);
        assertEquals("0000:01:00.0 BAR 0 mmaps[0]", piece.region().name());
        assertEquals("msix-table", msix.region().name());
        assertEquals("0000:01:00.0 BAR 0", rest.region().name(), "the catalogue makes a VFIO BAR MMIO");
        assertEquals(0xff0100L, rest.offsetInRegion());
        for (FlatRange r : List.of(piece, msix, rest)) {
            assertEquals(BAR0, tagOf(r.region()), r.toString());
        }
        assertNull(piece.region().passthroughBar(), "only the BAR region carries the tag");
        assertNull(tagOf(memory.flatView().rangeAt(0x1000).region()));
    }

    @Test
    void nonVcpuViewReplacesEveryRangeOfTheBarByP2pSections() throws IOException {
        AddressSpace nic = space(load(PassthroughDumps.ONE_BAR), "virtio-net-pci");
        MediatedView view = MediatedView.build(nic.flatView(), false, false);
        for (long a : new long[] {0xc0000000L, 0xc0ff0000L, 0xc0ff0100L, 0xc0ffffffL}) {
            Section s = view.section(view.indexOf(a));
            assertEquals(Section.Kind.P2P, s.kind(), Long.toHexString(a));
            assertEquals(BAR0, s.bar(), Long.toHexString(a));
        }
        assertEquals(Section.Kind.RAM, view.section(view.indexOf(0x1000)).kind());
    }

    @Test
    void importNotesEachPassthroughDevice() throws IOException {
        MtreeImport imp = load(PassthroughDumps.ONE_BAR);
        assertTrue(imp.notes().contains("test.txt: passthrough device 0000:01:00.0 (QEMU's VFIO region names): BAR 0 "
                + "tagged as P2P space"), imp.notes().toString());
    }

    @Test
    void piecesWithoutTheirBarRegionAreTaggedThemselves() throws IOException {
        MtreeImport imp = load(PassthroughDumps.PIECES_ONLY);
        PassthroughBar bar2 = new PassthroughBar(PciAddress.parse("0000:02:00.0"), 2);
        assertEquals(2, imp.passthroughBars().size());
        for (MtreeImport.TaggedBar t : imp.passthroughBars()) {
            assertEquals(bar2, t.region().passthroughBar());
            assertEquals(RegionKind.RAM_DEVICE, t.region().kind());
        }
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("'0000:02:00.0 BAR 2 mmaps[1]' is not inside a region "
                + "named '0000:02:00.0 BAR 2'")), imp.notes().toString());
        assertTrue(imp.notes().stream().anyMatch(n -> n.contains("passthrough device 0000:02:00.0")
                && n.contains("BAR 2 (piece mmaps[0]), BAR 2 (piece mmaps[1])")), imp.notes().toString());
    }

    @Test
    void piecesInsideTheirBarAreNotTaggedAgain() throws IOException {
        MtreeImport imp = load(PassthroughDumps.ONE_BAR);
        assertTrue(imp.passthroughBars().stream().noneMatch(t -> t.region().name().contains("mmaps")));
    }

    @Test
    void namesThatAreNotExactlyVfioNamesAreNotTagged() throws IOException {
        String dump = "address-space: memory\n"
                + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                + "    0000000000001000-0000000000001fff (prio 0, i/o): 0000:01:00.0 BAR 6\n"
                + "    0000000000002000-0000000000002fff (prio 0, i/o): 0000:0A:00.0 BAR 0\n"
                + "    0000000000003000-0000000000003fff (prio 0, i/o): 0000:01:3f.0 BAR 0\n"
                + "    0000000000004000-0000000000004fff (prio 0, i/o): 0000:01:00.0 BAR 0 (old)\n"
                + "    0000000000005000-0000000000005fff (prio 0, i/o): vfio-nvidia-bar0-88000-mirror-quirk\n"
                + "    0000000000006000-0000000000006fff (prio 0, ram): 0000:01:00.0 BAR 0 mmaps[01]\n";
        MtreeImport imp = load(dump);
        assertEquals(List.of(), imp.passthroughBars());
        assertTrue(imp.notes().stream().noneMatch(n -> n.contains("passthrough")), imp.notes().toString());
    }

    @Test
    void ramBackedBarOfIvshmemIsNotPassthroughAndTheDumpStillImports() throws IOException {
        for (boolean disabled : new boolean[] {false, true}) {
            MtreeImport imp = new MtreeImporter().importTree(
                    new StringReader(QemuDumps.tree("x86-q35-misc", disabled)), "x86-q35-misc");
            assertEquals(List.of(), imp.passthroughBars());
            FlatRange shm = space(imp, "memory").flatView().rangeAt(0xfe400000L);
            assertEquals("shm0", shm.region().name(), "ivshmem-plain's BAR 2 is RAM");
            assertNull(tagOf(shm.region()));
        }
    }

    @Test
    void memoryRegionBlockRepeatingTheBarIsTaggedOnce() throws IOException {
        // the BAR's subtree printed again as an alias target is the same region, not a second BAR
        String dump = PassthroughDumps.ONE_BAR.replace("memory-region: system\n", "memory-region: 0000:01:00.0 BAR 0\n"
                + "  00000000c0000000-00000000c0ffffff (prio 1, i/o): 0000:01:00.0 BAR 0\n"
                + "    00000000c0000000-00000000c0feffff (prio 0, ramd): 0000:01:00.0 BAR 0 mmaps[0]\n"
                + "    00000000c0ff0000-00000000c0ff00ff (prio 0, i/o): msix-table\n"
                + "\n"
                + "memory-region: system\n")
                .replace("address-space: e1000\n", "address-space: bar-window\n"
                        + "  0000000000000000-0000000000ffffff (prio 0, i/o): bar window\n"
                        + "    0000000000000000-0000000000ffffff (prio 0, i/o): alias bar-alias @0000:01:00.0 BAR 0 "
                        + "0000000000000000-0000000000ffffff\n"
                        + "\n"
                        + "address-space: e1000\n");
        MtreeImport imp = load(dump);
        assertEquals(1, imp.passthroughBars().size());
        MemoryRegion bar = imp.passthroughBars().get(0).region();
        // an alias of a whole region renders from that region, at the region's own address (as in QEMU)
        assertSame(bar, space(imp, "bar-window").flatView().rangeAt(0xc0000010L).region().container());
    }
}
