package dev.mmiomediator.mtree;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VfioRegionNameTest {
    @Test
    void barNameGivesDeviceAndIndex() {
        VfioRegionName n = VfioRegionName.parse("0000:0c:00.3 BAR 5");
        assertEquals(new VfioRegionName(PciAddress.parse("0000:0c:00.3"), 5, -1), n);
        assertTrue(n.isBar());
        assertEquals(new PassthroughBar(PciAddress.parse("0000:0c:00.3"), 5), n.passthroughBar());
    }

    @Test
    void mmapPieceNameGivesItsBarAndPieceIndex() {
        VfioRegionName n = VfioRegionName.parse("0000:0c:00.0 BAR 0 mmaps[12]");
        assertFalse(n.isBar());
        assertEquals(12, n.mmap());
        assertEquals("0000:0c:00.0 BAR 0", n.barName());
        assertEquals("0000:0c:00.0 BAR 0 mmaps[12]", n.toString());
    }

    @Test
    void upperCaseHexIsNotAVfioName() {
        assertNull(VfioRegionName.parse("0000:0C:00.0 BAR 0"));
    }

    @Test
    void barIndexAboveFiveIsNotAVfioName() {
        assertNull(VfioRegionName.parse("0000:01:00.0 BAR 6"));
    }

    @Test
    void deviceNumberAbove1fIsNotAVfioName() {
        assertNull(VfioRegionName.parse("0000:01:20.0 BAR 0"));
    }

    @Test
    void extraTextOrAZeroPaddedPieceIndexIsNotAVfioName() {
        assertNull(VfioRegionName.parse("0000:01:00.0 BAR 0 "));
        assertNull(VfioRegionName.parse("vfio 0000:01:00.0 BAR 0"));
        assertNull(VfioRegionName.parse("0000:01:00.0 BAR 0 mmaps[01]"));
        assertNull(VfioRegionName.parse("0000:01:00.0 BAR 0 mmaps[]"));
        assertNull(VfioRegionName.parse("vfio-nvidia-bar0-88000-mirror-quirk"));
    }

    @Test
    void negativePieceIndexBelowMinusOneIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VfioRegionName(PciAddress.parse("0000:01:00.0"), 0, -2));
        assertTrue(e.getMessage().contains("mmap index -2"), e.getMessage());
    }
}
