package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Republishing the views after a commit: each view must equal a fresh build of the new flat view (QEMU's
 * {@code generate_memory_topology}: the view is a function of the flat view), while reusing what did not change,
 * the way QEMU's {@code flatview_simplify}/listener diff only touches changed ranges: every range the renderer
 * carried over (the same {@code FlatRange}) keeps its vCPU section object, and the device view shares the vCPU
 * view's sections outside passthrough BARs (and, in RAM-only mode, outside device MMIO).
 *
 * <pre>
 * 0x00000000-0x000fffff  ram   pc.ram
 * 0xfe000000-0xfe003fff  ramd  0000:01:00.0 BAR 0 (tagged)
 * 0xfed00000-0xfed003ff  i/o   hpet
 * 0xffc00000-0xffc00fff  romd  flash
 * </pre>
 */
class MediatedViewRepublishTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");

    private MemorySystem sys;
    private MemoryRegion ram;
    private MemoryRegion hpet;
    private AddressSpace memory;

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        ram = sys.ram("pc.ram", Size.of(0x100000));
        hpet = sys.mmio("hpet", Size.of(0x400), MemoryRegionOps.UNASSIGNED);
        MemoryRegion bar0 = sys.ramDevice(NIC + " BAR 0", Size.of(0x4000));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(ram, 0);
            system.addSubregion(bar0, 0xfe000000L);
            system.addSubregion(hpet, 0xfed00000L);
            system.addSubregion(sys.romDevice("flash", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0xffc00000L);
            bar0.setPassthroughBar(new PassthroughBar(NIC, 0));
        }
        memory = sys.addressSpace("memory", system);
    }

    private static Section at(MediatedView v, long address) {
        return v.section(v.indexOf(address));
    }

    @Test
    void aRepublishKeepsTheVcpuSectionOfEveryUnchangedRange() {
        Mediator mediator = new Mediator(memory);
        MediatedView before = mediator.view(Initiator.vcpu());
        hpet.setAddress(0xfed10000L);
        MediatedView after = mediator.view(Initiator.vcpu());
        assertNotSame(before, after);
        assertSame(at(before, 0), at(after, 0), "pc.ram did not change");
        assertSame(at(before, 0xfe000000L), at(after, 0xfe000000L), "BAR 0 did not change");
        assertSame(at(before, 0xffc00000L), at(after, 0xffc00000L), "flash did not change");
        assertEquals(0xfed10000L, at(after, 0xfed10000L).start(), "the moved range has a new section");
        assertEquals(-1, after.indexOf(0xfed00000L));
    }

    @Test
    void theRepublishedViewsEqualFreshBuildsOfTheNewFlatView() {
        for (boolean ramOnly : new boolean[] {false, true}) {
            Mediator mediator = new Mediator(memory, new MasterAbortP2pHandler(), ramOnly);
            hpet.setAddress(hpet.address() + 0x10000);
            FlatView flat = memory.flatView();
            assertEquals(MediatedView.build(flat, true, false).sections(), mediator.view(Initiator.vcpu()).sections());
            assertEquals(MediatedView.build(flat, false, ramOnly).sections(),
                    mediator.view(Initiator.softwareDevice("virtio-net")).sections(), "ramOnly " + ramOnly);
        }
    }

    @Test
    void theDeviceViewSharesTheVcpuSectionsOutsideBars() {
        Mediator mediator = new Mediator(memory);
        MediatedView vcpu = mediator.view(Initiator.vcpu());
        MediatedView devices = mediator.view(Initiator.softwareDevice("virtio-net"));
        assertSame(at(vcpu, 0), at(devices, 0));
        assertSame(at(vcpu, 0xfed00000L), at(devices, 0xfed00000L));
        assertSame(at(vcpu, 0xffc00000L), at(devices, 0xffc00000L));
        assertEquals(Section.Kind.P2P, at(devices, 0xfe000000L).kind());
        assertEquals(Section.Kind.RAM, at(vcpu, 0xfe000000L).kind());
    }

    @Test
    void inRamOnlyModeTheDeviceViewSharesOnlyMemorySectionsWithTheVcpu() {
        Mediator mediator = new Mediator(memory, new MasterAbortP2pHandler(), true);
        MediatedView vcpu = mediator.view(Initiator.vcpu());
        MediatedView devices = mediator.view(Initiator.softwareDevice("virtio-net"));
        assertSame(at(vcpu, 0), at(devices, 0));
        assertEquals(Section.Kind.MMIO, at(vcpu, 0xfed00000L).kind());
        assertEquals(Section.Kind.FAULT, at(devices, 0xfed00000L).kind());
        assertEquals(Section.Kind.ROMD, at(vcpu, 0xffc00000L).kind());
        assertEquals(Section.Kind.FAULT, at(devices, 0xffc00000L).kind());
    }

    @Test
    void aVcpuViewIsNotReusedFromTheDeviceView() {
        // the device view of the same flat view has a P2P section where the vCPU must see the BAR's memory
        FlatView flat = memory.flatView();
        MediatedView devices = MediatedView.build(flat, false, false);
        assertEquals(flat.size(), devices.size(), "no P2P pieces merged: same length as the flat view");
        MediatedView vcpu = MediatedView.vcpuViewOf(flat, flat, devices);
        assertEquals(MediatedView.build(flat, true, false).sections(), vcpu.sections());
        assertTrue(vcpu.isVcpuView());
    }

    @Test
    void aVcpuViewOfAnotherFlatViewIsNotReused() {
        FlatView flat = memory.flatView();
        MediatedView unrelated = MediatedView.build(flat, true, false);
        hpet.setEnabled(false);
        FlatView fewer = memory.flatView();
        // a previous view with more sections than the flat view it claims to come from: nothing to reuse
        MediatedView vcpu = MediatedView.vcpuViewOf(fewer, fewer, unrelated);
        assertEquals(MediatedView.build(fewer, true, false).sections(), vcpu.sections());
    }

    @Test
    void theDeviceViewIsBuiltOnlyFromTheVcpuViewOfTheSameFlatView() {
        FlatView flat = memory.flatView();
        IllegalArgumentException notVcpu = assertThrows(IllegalArgumentException.class,
                () -> MediatedView.devicesOf(MediatedView.build(flat, false, false), flat, false));
        assertEquals("devicesOf: expected the vCPU view of the same flat view (4 ranges), got a non-vCPU view of 4 "
                + "sections", notVcpu.getMessage());
        IllegalArgumentException otherFlat = assertThrows(IllegalArgumentException.class,
                () -> MediatedView.devicesOf(MediatedView.build(FlatView.empty(), true, false), flat, false));
        assertEquals("devicesOf: expected the vCPU view of the same flat view (4 ranges), got 0 sections",
                otherFlat.getMessage());
    }
}
