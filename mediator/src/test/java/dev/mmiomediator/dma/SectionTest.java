package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sections and views as an emulator developer reads them (QEMU's {@code info mtree -f} style: 16-digit addresses,
 * what answers, the offset of the section's start in its region or BAR), and the offsets a section translates to.
 *
 * <pre>
 * 0x00000000-0x0000ffff  ram  pc.ram
 * 0x00030000-0x00030fff  ram  ram-ro: read-only alias of pc.ram @0x8000
 * 0xfe000000-0xfe003fff  0000:01:00.0 BAR 0 (tagged): mmaps[0] ramd 0x2000, msix-table i/o 0x1000 @0x2000, hole
 * </pre>
 */
class SectionTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long BAR0 = 0xfe000000L;

    private Mediator mediator;
    private MemoryRegion bar0;

    @BeforeEach
    void machine() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion ram = sys.ram("pc.ram", Size.of(0x10000));
        MemoryRegion ro = sys.alias("ram-ro", ram, 0x8000, Size.of(0x1000));
        ro.setReadOnly(true);
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        bar0.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x2000)), 0);
        bar0.addSubregion(sys.mmio("msix-table", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0x2000);
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(ram, 0);
            system.addSubregion(ro, 0x30000);
            system.addSubregion(bar0, BAR0);
        }
        mediator = new Mediator(sys.addressSpace("memory", system));
        Passthrough.declare(NIC, Map.of(0, bar0));
    }

    private MediatedView vcpu() {
        return mediator.view(Initiator.vcpu());
    }

    private MediatedView devices() {
        return mediator.view(Initiator.softwareDevice("virtio-net"));
    }

    private static Section at(MediatedView v, long address) {
        return v.section(v.indexOf(address));
    }

    @Test
    void aP2pSectionTranslatesAddressesToOffsetsInItsBar() {
        Section p2p = at(devices(), BAR0 + 0x2010);
        assertEquals(Section.Kind.P2P, p2p.kind());
        assertEquals(new PassthroughBar(NIC, 0), p2p.bar());
        assertEquals(0x2010, p2p.barOffset(BAR0 + 0x2010));
        assertEquals(0, p2p.barOffset(BAR0));
    }

    @Test
    void aSectionOfAnAliasTranslatesAddressesToOffsetsInTheAliasedRegion() {
        Section ro = at(vcpu(), 0x30010);
        assertEquals("pc.ram", ro.region().name());
        assertEquals(0x8010, ro.offsetInRegion(0x30010));
        assertTrue(ro.readOnly());
        assertNull(ro.bar(), "not a P2P section");
    }

    @Test
    void aSectionPrintsItsRangeWhatAnswersAndWhere() {
        assertEquals("0000000000000000-000000000000ffff RAM pc.ram @0x0", at(vcpu(), 0).toString());
        assertEquals("0000000000030000-0000000000030fff RAM pc.ram @0x8000 ro", at(vcpu(), 0x30000).toString());
        assertEquals("00000000fe002000-00000000fe002fff MMIO msix-table @0x0", at(vcpu(), BAR0 + 0x2000).toString());
        assertEquals("00000000fe000000-00000000fe002fff P2P 0000:01:00.0 BAR 0 @0x0", at(devices(), BAR0).toString());
    }

    @Test
    void aViewPrintsWhoseItIsAndOneSectionPerLine() {
        assertEquals("MediatedView(devices)"
                + "\n  0000000000000000-000000000000ffff RAM pc.ram @0x0"
                + "\n  0000000000030000-0000000000030fff RAM pc.ram @0x8000 ro"
                + "\n  00000000fe000000-00000000fe002fff P2P 0000:01:00.0 BAR 0 @0x0", devices().toString());
        assertTrue(vcpu().toString().startsWith("MediatedView(vcpu)\n  0000000000000000-"), vcpu().toString());
        assertEquals("MediatedView(devices)", MediatedView.empty().toString());
    }

    @Test
    void onlyTheVcpuViewIsAVcpuView() {
        assertTrue(vcpu().isVcpuView());
        assertFalse(devices().isVcpuView());
        assertFalse(mediator.view(Initiator.passthroughDevice(NIC)).isVcpuView());
    }

    @Test
    void sectionsAreEqualWhenTheyAnswerTheSameRangeTheSameWay() {
        Section ram = at(vcpu(), 0);
        assertEquals(ram, at(devices(), 0));
        assertEquals(ram.hashCode(), at(devices(), 0).hashCode());
        assertNotEquals(ram, at(vcpu(), 0x30000), "another range");
        assertNotEquals(at(vcpu(), BAR0), at(devices(), BAR0), "the BAR's memory is not its P2P section");
        assertFalse(ram.equals("0000000000000000-000000000000ffff RAM pc.ram @0x0"), "not a section");
        assertFalse(ram.equals(null));
    }

    @Test
    void containsIsInclusiveAndUnsigned() {
        Section p2p = at(devices(), BAR0);
        assertFalse(p2p.contains(BAR0 - 1));
        assertTrue(p2p.contains(BAR0));
        assertTrue(p2p.contains(BAR0 + 0x2fff));
        assertFalse(p2p.contains(BAR0 + 0x3000));
        assertFalse(p2p.contains(-1L), "2^64 - 1 is above the BAR, not below");
    }

    @Test
    void aPassthroughDevicePrintsItsAddressAndBars() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion b0 = sys.ramDevice("nic BAR 0", Size.of(0x1000));
        MemoryRegion b2 = sys.ramDevice("nic BAR 2", Size.of(0x1000));
        Passthrough p = Passthrough.declare(PciAddress.parse("0000:02:00.0"), Map.of(2, b2, 0, b0));
        assertEquals("Passthrough 0000:02:00.0, BAR 0 'nic BAR 0', BAR 2 'nic BAR 2'", p.toString());
    }
}
