package dev.mmiomediator.mtree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import org.junit.jupiter.api.Test;

/** The types {@code info mtree} prints for regions and flat ranges, one behaviour per test. */
class MtreeTypesTest {
    private final MemorySystem sys = new MemorySystem();

    @Test
    void aRangeReachedThroughAReadOnlyAliasPrintsRomWhileItsRegionStaysRam() {
        MemoryRegion root = sys.container("root", Size.of(0x10000));
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        root.addSubregion(ram, 0);
        MemoryRegion ro = sys.alias("ro", ram, 0, Size.of(0x1000));
        ro.setReadOnly(true);
        root.addSubregion(ro, 0x8000);
        FlatView view = sys.addressSpace("as", root).flatView();
        assertEquals("ram", MtreeTypes.of(view.rangeAt(0)));
        assertEquals("rom", MtreeTypes.of(view.rangeAt(0x8000)));
        assertEquals("ram", MtreeTypes.of(ram), "the region itself stays RAM");
    }

    @Test
    void aRomPrintsRom() {
        assertEquals("rom", MtreeTypes.of(sys.rom("bios2", Size.of(0x100))));
    }

    @Test
    void aReadOnlyRamRegionPrintsRom() {
        MemoryRegion ram = sys.ram("ram", Size.of(0x1000));
        ram.setReadOnly(true);
        assertEquals("rom", MtreeTypes.of(ram));
    }

    @Test
    void anAliasPrintsItsTargetsType() {
        MemoryRegion dev = sys.ramDevice("bar", Size.of(0x1000));
        assertEquals("ramd", MtreeTypes.of(sys.alias("window", dev, 0, Size.of(0x100))));
    }

    @Test
    void aRomDevicePrintsRomdInRomdModeAndIoOutOfIt() {
        MemoryRegion flash = sys.romDevice("flash", Size.of(0x1000), MemoryRegionOps.UNASSIGNED);
        assertEquals("romd", MtreeTypes.of(flash));
        flash.setRomdMode(false);
        assertEquals("i/o", MtreeTypes.of(flash));
    }

    @Test
    void mmioAndContainersPrintIo() {
        assertEquals("i/o", MtreeTypes.of(sys.mmio("regs", Size.of(0x100), MemoryRegionOps.UNASSIGNED)));
        assertEquals("i/o", MtreeTypes.of(sys.container("bus", Size.of(0x100))));
    }
}
