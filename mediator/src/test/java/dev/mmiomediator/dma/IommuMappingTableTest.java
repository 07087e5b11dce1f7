package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulated IOMMU table of a passthrough device: RAM sections only, removes before adds, never a BAR. */
class IommuMappingTableTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress IVSHMEM = PciAddress.parse("0000:00:05.0");

    private MemorySystem sys;
    private MemoryRegion system;
    private MemoryRegion ram;
    private MemoryRegion bios;
    private MemoryRegion bar0;
    private MemoryRegion shmem;
    private AddressSpace memory;
    private Mediator mediator;

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        ram = sys.ram("pc.ram", Size.of(0x100000));
        bios = sys.rom("bios", Size.of(0x10000));
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        bar0.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x4000)), 0);
        shmem = sys.ram(IVSHMEM + " BAR 2", Size.of(0x10000)); // a RAM BAR, like ivshmem-plain's
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(ram, 0);
            system.addSubregion(bios, 0xf0000, 1);
            system.addSubregion(sys.mmio("hpet", Size.of(0x400), MemoryRegionOps.UNASSIGNED), 0xfed00000L);
            system.addSubregion(sys.romDevice("flash", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0xffc00000L);
            system.addSubregion(bar0, 0xfe000000L);
            system.addSubregion(shmem, 0xfd000000L);
        }
        memory = sys.addressSpace("memory", system);
        mediator = new Mediator(memory);
        Passthrough.declare(NIC, Map.of(0, bar0));
    }

    private static IommuMappingTable.Mapping mapping(long iova, long last, MemoryRegion r, long offset, boolean ro) {
        return new IommuMappingTable.Mapping(iova, last, r, offset, ro);
    }

    @Test
    void attachingMapsEveryRamSectionOfTheDeviceViewAndNothingElse() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        assertEquals(List.of(
                mapping(0, 0xeffff, ram, 0, false),
                mapping(0xf0000, 0xfffff, bios, 0, true),
                mapping(0xfd000000L, 0xfd00ffffL, shmem, 0, false)), iommu.mappings());
        assertTrue(iommu.problems().isEmpty());
        IommuAssertions.assertMirrors(iommu, mediator.view(Initiator.passthroughDevice(NIC)));
        IommuAssertions.assertNoPassthroughBar(iommu);
    }

    @Test
    void mmioRomDevicesAndBarsAreNeverMapped() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        assertNull(iommu.lookup(0xfed00000L), "MMIO");
        assertNull(iommu.lookup(0xffc00000L), "ROM device");
        assertNull(iommu.lookup(0xfe000000L), "BAR 0");
        assertNull(iommu.lookup(0xfe003fffL), "BAR 0");
        assertNull(iommu.lookup(0x200000), "unassigned");
    }

    @Test
    void ramOnlyFaultSectionsAreNeverMapped() {
        Mediator ramOnly = new Mediator(memory, new MasterAbortP2pHandler(), true);
        IommuMappingTable iommu = IommuMappingTable.attach(ramOnly, NIC);
        assertNull(iommu.lookup(0xfed00000L));
        assertEquals(3, iommu.mappings().size());
    }

    @Test
    void lookupTranslatesAnIovaInsideAMapping() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        IommuMappingTable.Mapping m = iommu.lookup(0xfd001234L);
        assertSame(shmem, m.region());
        assertEquals(0x1234, m.translate(0xfd001234L));
        assertEquals(Size.of(0x10000), m.size());
        assertTrue(m.contains(0xfd00ffffL));
        assertNull(iommu.lookup(0xfd010000L));
    }

    @Test
    void taggingARamBarUnmapsIt() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        long unmaps = iommu.unmapCount();
        Passthrough.declare(IVSHMEM, Map.of(2, shmem));
        assertNull(iommu.lookup(0xfd000000L));
        assertEquals(unmaps + 1, iommu.unmapCount());
        IommuAssertions.assertNoPassthroughBar(iommu);
    }

    @Test
    void aMoveUnmapsTheOldRangeBeforeMappingTheNewOverlappingOne() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        shmem.setAddress(0xfd008000L); // overlaps where it was
        assertEquals(mapping(0xfd008000L, 0xfd017fffL, shmem, 0, false), iommu.lookup(0xfd008000L));
        assertNull(iommu.lookup(0xfd000000L));
        assertTrue(iommu.problems().isEmpty(), () -> iommu.problems().toString());
        IommuAssertions.assertMirrors(iommu, mediator.view(Initiator.passthroughDevice(NIC)));
    }

    @Test
    void aChangeElsewhereCausesNoChurn() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        long maps = iommu.mapCount();
        long unmaps = iommu.unmapCount();
        system.subregions().stream().filter(r -> r.name().equals("hpet")).findFirst().orElseThrow()
                .setAddress(0xfed10000L);
        assertEquals(maps, iommu.mapCount());
        assertEquals(unmaps, iommu.unmapCount());
    }

    @Test
    void readOnlyRamIsMappedReadOnly() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        shmem.setReadOnly(true);
        assertTrue(iommu.lookup(0xfd000000L).readOnly());
    }

    @Test
    void assertMirrorsNamesASectionThatIsNotMapped() {
        IommuMappingTable unfed = new IommuMappingTable(NIC);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> IommuAssertions.assertMirrors(unfed, mediator.view(Initiator.passthroughDevice(NIC))));
        assertTrue(e.getMessage().contains("RAM section of the view not mapped") && e.getMessage().contains("pc.ram"),
                e.getMessage());
    }

    @Test
    void anUnmapOfSomethingNotMappedIsRecordedAsAProblem() {
        IommuMappingTable iommu = new IommuMappingTable(NIC);
        MediatedView view = mediator.view(Initiator.passthroughDevice(NIC));
        iommu.viewChanged(List.of(view.section(view.indexOf(0))), List.of());
        assertEquals(1, iommu.problems().size());
        assertTrue(iommu.problems().get(0).contains("not mapped"), iommu.problems().toString());
        assertThrows(IllegalStateException.class, () -> IommuAssertions.assertMirrors(iommu, MediatedView.empty()));
    }

    @Test
    void anOverlappingMapIsRecordedAsAProblem() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        MediatedView view = mediator.view(Initiator.passthroughDevice(NIC));
        iommu.viewChanged(List.of(), List.of(view.section(view.indexOf(0))));
        assertTrue(iommu.problems().get(0).contains("overlaps"), iommu.problems().toString());
    }

    @Test
    void assertNoPassthroughBarNamesAMappingInsideABar() {
        IommuMappingTable fedTheVcpuView = new IommuMappingTable(NIC);
        fedTheVcpuView.viewChanged(List.of(), mediator.view(Initiator.vcpu()).sections()); // the wrong feed
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IommuAssertions.assertNoPassthroughBar(fedTheVcpuView));
        assertTrue(e.getMessage().contains("inside " + NIC + " BAR 0"), e.getMessage());
    }
}
