package dev.mmiomediator.migration.sim;

import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The guest map a simulated VM is laid out by: the planner's layout, and a real map's checks. */
class GuestMapTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");

    /** The demo's layout is what it was: pc.ram at 0, BARs from 0xe0000000, each aligned to its size. */
    @Test
    void thePlannedLayoutOfTheDefaultVmIsRamAtZeroAndBarsFromBarBase() {
        Topology vm = TopologyParser.defaultVm();
        GuestMap map = GuestMap.planned(vm);
        assertEquals(List.of(new GuestMap.RamPiece(SimulatedVm.RAM_REGION, 0, 0, SimulatedVm.RAM_SIZE)), map.ram());
        assertEquals(SimulatedVm.BAR_BASE, map.bars().get(new PassthroughBar(NIC, 0)));
        // NIC BAR 0 is 16 KiB, BAR 2 4 KiB: next, aligned to 4 KiB
        assertEquals(SimulatedVm.BAR_BASE + 0x4000, map.bars().get(new PassthroughBar(NIC, 2)));
    }

    @Test
    void overlappingRamPiecesAreRefusedNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GuestMap(List.of(
                new GuestMap.RamPiece("pc.ram", 0, 0, 0x10000), new GuestMap.RamPiece("vram", 0x8000, 0, 0x1000)),
                Map.of()));
        assertEquals("guest map: pc.ram at 0x0 and vram at 0x8000 overlap, expected disjoint pieces", e.getMessage());
    }

    @Test
    void aBarOverlappingRamIsRefusedWithItsSize() {
        Topology vm = TopologyParser.defaultVm();
        // the BAR starts after pc.ram, but its 16 KiB run into the RAM piece above it
        GuestMap map = new GuestMap(List.of(new GuestMap.RamPiece("pc.ram", 0, 0, 1L << 30),
                new GuestMap.RamPiece("pc.ram", (1L << 30) + 0x2000, 1L << 30, 0x1000)),
                Map.of(new PassthroughBar(NIC, 0), 1L << 30));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SimulatedVm.check(vm, map));
        assertEquals("guest map: 0000:01:00.0 BAR 0 (16384 bytes) at 0x40000000 and pc.ram at 0x40002000 overlap, "
                + "expected disjoint", e.getMessage());
    }

    @Test
    void tooLittleRamForTheSoftwareDevicesIsRefused() {
        Topology vm = TopologyParser.defaultVm();
        GuestMap map = new GuestMap(List.of(new GuestMap.RamPiece("pc.ram", 0x100000, 0, 0x100000)), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SimulatedVm.check(vm, map));
        assertEquals("RAM pc.ram at 0x100000 (1048576 bytes): too small for 2 software devices of 1048576 bytes each",
                e.getMessage());
    }

    /** A small BAR gives each software device a smaller window; one too small for 16 bytes each is refused. */
    @Test
    void barWindowsShrinkForASmallBar() {
        PassthroughBar bar = new PassthroughBar(NIC, 0);
        assertEquals(SimulatedVm.BAR_WINDOW, SimulatedVm.barWindow(bar, 1L << 20, 25));
        assertEquals(160, SimulatedVm.barWindow(bar, 4096, 25), "4096 / 25 = 163, down to a multiple of 16");
        assertThrows(IllegalArgumentException.class, () -> SimulatedVm.barWindow(bar, 128, 25));
    }

    /** Beyond four software devices the VM's P2P rate is that of four, shared. */
    @Test
    void manySoftwareDevicesShareTheP2pRateOfFour() {
        assertEquals(SoftwareDevice.P2P_EVERY, SoftwareDevice.p2pEvery(2));
        assertEquals(SoftwareDevice.P2P_EVERY, SoftwareDevice.p2pEvery(4));
        assertEquals(2 * SoftwareDevice.P2P_EVERY, SoftwareDevice.p2pEvery(5));
        assertEquals(7 * SoftwareDevice.P2P_EVERY, SoftwareDevice.p2pEvery(25));
    }
}
