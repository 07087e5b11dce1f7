package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What listeners of the device view hear (QEMU's MemoryListener {@code region_add}/{@code region_del}): the current
 * view once when added, then per commit exactly the sections that left and those that came, and nothing at all for
 * a commit that leaves the device view as it was.
 *
 * <pre>
 * 0x00000000-0x000fffff  ram   pc.ram
 * 0xfe000000-0xfe003fff  0000:01:00.0 BAR 0 (tagged): mmaps[0] ramd 0x2000, msix-table i/o 0x1000, mmaps[1] ramd
 * </pre>
 */
class ViewListenerTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long BAR0 = 0xfe000000L;

    /** One recorded call. */
    private record Change(List<Section> removed, List<Section> added) {
    }

    private final List<Change> heard = new ArrayList<>();
    private MemorySystem sys;
    private MemoryRegion system;
    private MemoryRegion bar0;
    private Mediator mediator;

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        bar0.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x2000)), 0);
        bar0.addSubregion(sys.mmio("msix-table", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0x2000);
        bar0.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[1]", Size.of(0x1000)), 0x3000);
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(sys.ram("pc.ram", Size.of(0x100000)), 0);
            system.addSubregion(bar0, BAR0);
            bar0.setPassthroughBar(new PassthroughBar(NIC, 0));
        }
        mediator = new Mediator(sys.addressSpace("memory", system));
        mediator.addViewListener((removed, added) -> heard.add(new Change(removed, added)));
    }

    private MediatedView devices() {
        return mediator.view(Initiator.softwareDevice("virtio-net"));
    }

    @Test
    void aListenerHearsTheCurrentViewAtOnceAsAllAdded() {
        assertEquals(List.of(new Change(List.of(), devices().sections())), heard);
        assertEquals(2, devices().size(), "pc.ram and one P2P section for the whole BAR");
    }

    @Test
    void aNewRegionIsHeardAsAddedOnly() {
        heard.clear();
        system.addSubregion(sys.ram("more", Size.of(0x1000)), 0x200000);
        MediatedView v = devices();
        assertEquals(List.of(new Change(List.of(), List.of(v.section(v.indexOf(0x200000))))), heard);
    }

    @Test
    void aRemovedRegionIsHeardAsRemovedOnly() {
        MemoryRegion more = sys.ram("more", Size.of(0x1000));
        system.addSubregion(more, 0x200000);
        MediatedView v = devices();
        Section gone = v.section(v.indexOf(0x200000));
        heard.clear();
        system.removeSubregion(more);
        assertEquals(List.of(new Change(List.of(gone), List.of())), heard);
    }

    @Test
    void aCommitOnlyTheVcpuSeesIsNotHeard() {
        MediatedView vcpuBefore = mediator.view(Initiator.vcpu());
        List<Section> devicesBefore = devices().sections();
        heard.clear();
        // inside the BAR, which devices see as one P2P section whatever its pieces are
        bar0.addSubregion(sys.ramDevice("overlay", Size.of(0x800)), 0x2000, 1);
        assertNotEquals(vcpuBefore.sections(), mediator.view(Initiator.vcpu()).sections(), "the vCPU view changed");
        assertEquals(devicesBefore, devices().sections());
        assertEquals(List.of(), heard);
    }

    @Test
    void anIommuTableMapsRamAddedLater() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        system.addSubregion(sys.ram("hotplugged", Size.of(0x10000)), 0x40000000L);
        assertNotNull(iommu.lookup(0x40000000L));
        assertEquals(0x1234, iommu.lookup(0x40001234L).translate(0x40001234L));
    }
}
