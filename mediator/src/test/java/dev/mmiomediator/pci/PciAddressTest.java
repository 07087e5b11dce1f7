package dev.mmiomediator.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** PCI addresses and BARs: the forms the kernel prints and the ranges PCI allows. */
class PciAddressTest {
    @Test
    void parsesTheKernelsForm() {
        PciAddress a = PciAddress.parse("0001:3a:1f.7");
        assertEquals(new PciAddress(1, 0x3a, 0x1f, 7), a);
        assertEquals("0001:3a:1f.7", a.toString());
        assertEquals("0000:01:00.0", PciAddress.parse("0000:01:00.0").toString());
    }

    @Test
    void upperCaseHexIsRefusedWithTheCanonicalForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PciAddress.parse("0000:0A:00.0"));
        assertEquals("PCI address '0000:0A:00.0': hex digits must be lower-case, as the kernel prints them "
                + "('0000:0a:00.0')", e.getMessage());
    }

    @Test
    void malformedAddressIsRefusedNamingIt() {
        for (String bad : new String[] {"01:00.0", "0000:01:00", "0000:1:00.0", "0000:01:00.0 ", "00000:01:00.0",
            "0000-01-00.0", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PciAddress.parse(bad));
            assertEquals("PCI address '" + bad + "': expected DDDD:BB:DD.F in lower-case hex, e.g. 0000:01:00.0",
                    e.getMessage());
        }
    }

    @Test
    void deviceAndFunctionRangesAreChecked() {
        assertEquals("PCI address '0000:00:20.0': device 0x20 exceeds 0x1f",
                assertThrows(IllegalArgumentException.class, () -> PciAddress.parse("0000:00:20.0")).getMessage());
        assertEquals("PCI address '0000:00:00.8': function 8 exceeds 7",
                assertThrows(IllegalArgumentException.class, () -> PciAddress.parse("0000:00:00.8")).getMessage());
        assertEquals("PCI bus 0x100: must be between 0 and 0xff",
                assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 0x100, 0, 0)).getMessage());
    }

    @Test
    void barIndexAndSizeAreChecked() {
        assertEquals("BAR 2 (0x4000 bytes)", new PciBar(2, 0x4000).toString());
        assertEquals("BAR index 6: must be between 0 and 5",
                assertThrows(IllegalArgumentException.class, () -> new PciBar(6, 0x1000)).getMessage());
        assertEquals("BAR 0 size 0x3000: must be a power of two (a BAR decodes a naturally aligned power-of-two "
                + "window)", assertThrows(IllegalArgumentException.class, () -> new PciBar(0, 0x3000)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PciBar(0, 0));
    }
}
