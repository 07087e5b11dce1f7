package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void attachingCountsOneMapPerRamSectionAndNoUnmap() {
        // the machine has three RAM sections in the device view: pc.ram below the BIOS, the BIOS ROM, the ivshmem BAR
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        assertEquals(3, iommu.mapCount());
        assertEquals(0, iommu.unmapCount());
    }

    @Test
    void aMoveCountsOneUnmapAndOneMap() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        shmem.setAddress(0xfd100000L);
        assertEquals(4, iommu.mapCount());
        assertEquals(1, iommu.unmapCount());
    }

    @Test
    void refusedMapsAndUnmapsAreNotCounted() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        MediatedView view = mediator.view(Initiator.passthroughDevice(NIC));
        Section pcRam = view.section(view.indexOf(0));
        iommu.viewChanged(List.of(), List.of(pcRam)); // already mapped: overlaps
        assertEquals(3, iommu.mapCount());
        IommuMappingTable empty = new IommuMappingTable(NIC);
        empty.viewChanged(List.of(pcRam), List.of()); // never mapped
        assertEquals(0, empty.unmapCount());
        assertEquals(1, empty.problems().size());
    }

    @Test
    void onlyRamSectionsOfAChangeAreUnmappedAndMapped() {
        IommuMappingTable iommu = new IommuMappingTable(NIC);
        MediatedView view = mediator.view(Initiator.passthroughDevice(NIC));
        iommu.viewChanged(List.of(), view.sections());
        assertEquals(3, iommu.mapCount());
        iommu.viewChanged(view.sections(), List.of());
        assertEquals(3, iommu.unmapCount());
        assertEquals(List.of(), iommu.mappings());
        assertEquals(List.of(), iommu.problems(), "MMIO, ROM device and P2P sections were never mapped, so never "
                + "unmapped either");
    }

    @Test
    void aMappingContainsExactlyItsInclusiveRange() {
        IommuMappingTable.Mapping m = mapping(0x1000, 0x1fff, ram, 0, false);
        assertFalse(m.contains(0xfff));
        assertTrue(m.contains(0x1000));
        assertTrue(m.contains(0x1fff));
        assertFalse(m.contains(0x2000));
        assertEquals(Size.of(0x1000), m.size());
    }

    @Test
    void aMappingAtTheTopComparesAddressesUnsigned() {
        IommuMappingTable.Mapping top = mapping(0xfffffffffffff000L, -1L, ram, 0, false);
        assertTrue(top.contains(-1L));
        assertTrue(top.contains(0xfffffffffffff000L));
        assertFalse(top.contains(0));
        assertFalse(top.contains(0x7fffffffffffffffL));
        assertEquals(Size.of(0x1000), top.size());
        assertTrue(mapping(0, -1L, ram, 0, false).size().isFull(), "the whole 2^64 range");
    }

    @Test
    void aMappingThatEndsBeforeItStartsIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> mapping(0x2000, 0x1fff, ram, 0, false));
        assertTrue(e.getMessage().contains("0x2000-0x1fff"), e.getMessage());
        // unsigned: a mapping from below 2^63 to above it is fine
        assertEquals(0x7fffffffffffffffL, mapping(0x7fffffffffffffffL, 0x8000000000000000L, ram, 0, false).iova());
    }

    @Test
    void aMappingTranslatesFromItsOffsetInTheRegion() {
        IommuMappingTable.Mapping m = mapping(0x10000, 0x1ffff, ram, 0x8000, false);
        assertEquals(0x8000, m.translate(0x10000));
        assertEquals(0x8123, m.translate(0x10123));
    }

    @Test
    void aMappingPrintsItsRangeRegionOffsetAndAccess() {
        assertEquals("0000000000010000-000000000001ffff -> 'pc.ram' @0x8000 rw",
                mapping(0x10000, 0x1ffff, ram, 0x8000, false).toString());
        assertEquals("00000000000f0000-00000000000fffff -> 'bios' @0x0 ro",
                mapping(0xf0000, 0xfffff, bios, 0, true).toString());
    }

    @Test
    void theTablePrintsItsDeviceAndOneMappingPerLine() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        assertEquals(NIC, iommu.device());
        assertEquals("IommuMappingTable(0000:01:00.0)"
                + "\n  0000000000000000-00000000000effff -> 'pc.ram' @0x0 rw"
                + "\n  00000000000f0000-00000000000fffff -> 'bios' @0x0 ro"
                + "\n  00000000fd000000-00000000fd00ffff -> '0000:00:05.0 BAR 2' @0x0 rw", iommu.toString());
    }

    @Test
    void lookupBelowTheFirstMappingAndInAGapFaults() {
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, NIC);
        shmem.setAddress(0xfd100000L);
        assertNull(iommu.lookup(0xfd0fffffL), "below the moved BAR, above the BIOS");
        assertEquals(0x100, iommu.lookup(0xfd100100L).translate(0xfd100100L));
        IommuMappingTable empty = new IommuMappingTable(NIC);
        assertNull(empty.lookup(0));
    }

    @Test
    void aMapOverlappingTheLastByteOfAMappingIsRecordedAsAProblem() {
        IommuMappingTable iommu = new IommuMappingTable(NIC);
        Section low = new Section(0x1000, 0x1fff, Section.Kind.RAM, ram, 0, false, null, null, 0);
        Section touching = new Section(0x2000, 0x2fff, Section.Kind.RAM, ram, 0, false, null, null, 0);
        Section overlapping = new Section(0x1fff, 0x2fff, Section.Kind.RAM, ram, 0, false, null, null, 0);
        iommu.viewChanged(List.of(), List.of(low, touching));
        assertEquals(List.of(), iommu.problems(), "adjacent ranges do not overlap");
        iommu.viewChanged(List.of(touching), List.of(overlapping));
        assertEquals(1, iommu.problems().size(), "0x1fff is mapped already");
        assertTrue(iommu.problems().get(0).contains("overlaps 0000000000001000-0000000000001fff"),
                iommu.problems().toString());
        assertNull(iommu.lookup(0x2000), "the overlapping map was not applied");
    }
}
