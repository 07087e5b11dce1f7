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
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.vfio.MigrationData;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Declaring passthrough devices: all BARs tagged in one transaction, and every bad declaration refused whole. */
class PassthroughTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress GPU = PciAddress.parse("0000:02:00.0");

    private MemorySystem sys;
    private MemoryRegion system;
    private MemoryRegion bar0;
    private MemoryRegion mmaps;
    private MemoryRegion bar2;
    private PassthroughDevice nic;

    @BeforeEach
    void machine() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        mmaps = sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x4000));
        bar0.addSubregion(mmaps, 0);
        bar2 = sys.mmio(NIC + " BAR 2", Size.of(0x1000), MemoryRegionOps.UNASSIGNED);
        system.addSubregion(bar0, 0xfe000000L);
        system.addSubregion(bar2, 0xfe010000L);
        sys.addressSpace("memory", system);
        nic = new PassthroughDevice(NIC, MigrationFlags.STOP_COPY_ONLY, List.of(new PciBar(0, 0x4000),
                new PciBar(2, 0x1000)), new MigrationDriver() {
                    @Override
                    public MigrationData arc(MigrationState from, MigrationState to) {
                        return null;
                    }

                    @Override
                    public void reset() {
                    }
                });
    }

    /** Asserts {@code call} is refused with every fragment in the message, and no tag and no render changed. */
    private void refused(Executable call, String... fragments) {
        long renders = sys.renderCount();
        PassthroughBar t0 = bar0.passthroughBar();
        PassthroughBar t2 = bar2.passthroughBar();
        PassthroughBar tm = mmaps.passthroughBar();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        assertEquals(renders, sys.renderCount());
        assertEquals(t0, bar0.passthroughBar());
        assertEquals(t2, bar2.passthroughBar());
        assertEquals(tm, mmaps.passthroughBar());
    }

    @Test
    void declaringADeviceTagsEveryBarInOneTransaction() {
        long renders = sys.renderCount();
        Passthrough p = Passthrough.declare(nic, Map.of(0, bar0, 2, bar2));
        assertEquals(renders + 1, sys.renderCount());
        assertEquals(new PassthroughBar(NIC, 0), bar0.passthroughBar());
        assertEquals(new PassthroughBar(NIC, 2), bar2.passthroughBar());
        assertNull(mmaps.passthroughBar(), "the tag covers the subtree without copying it down");
        assertEquals(NIC, p.device());
        assertEquals(List.of(0, 2), List.copyOf(p.bars().keySet()));
        assertSame(bar2, p.bar(2));
        assertEquals(Initiator.passthroughDevice(NIC), p.initiator());
    }

    @Test
    void theDevicesBarsBecomeP2pSectionsInDeviceViews() {
        Mediator m = new Mediator(sys.addressSpaces().get(0));
        Passthrough.declare(NIC, Map.of(0, bar0));
        MediatedView view = m.view(Initiator.softwareDevice("nvme"));
        Section s = view.section(view.indexOf(0xfe000010L));
        assertEquals(Section.Kind.P2P, s.kind());
        assertEquals(new PassthroughBar(NIC, 0), s.bar());
        assertEquals(Section.Kind.RAM, m.view(Initiator.vcpu()).section(m.view(Initiator.vcpu())
                .indexOf(0xfe000010L)).kind());
    }

    @Test
    void declaringTheSameBarsAgainChangesNothing() {
        Passthrough.declare(nic, Map.of(0, bar0));
        long renders = sys.renderCount();
        Passthrough.declare(nic, Map.of(0, bar0));
        assertEquals(renders, sys.renderCount());
    }

    @Test
    void aBarIndexTheDeviceDoesNotHaveIsRefusedNamingIt() {
        refused(() -> Passthrough.declare(nic, Map.of(0, bar0, 4, bar2)), NIC + " has no BAR 4", "its BARs: 0, 2");
    }

    @Test
    void aBarIndexOutsideZeroToFiveIsRefusedNamingIt() {
        refused(() -> Passthrough.declare(NIC, Map.of(6, bar0)), "BAR 6 of " + NIC, "0 to 5");
        refused(() -> Passthrough.declare(NIC, Map.of(-1, bar0)), "BAR -1");
    }

    @Test
    void aRegionOfAnotherSizeThanItsBarIsRefusedNamingBoth() {
        refused(() -> Passthrough.declare(nic, Map.of(2, bar0)), "'" + NIC + " BAR 0' of 0x4000", NIC + " BAR 2",
                "expected the BAR's size 0x1000");
    }

    @Test
    void aRegionTaggedAsAnotherBarIsRefusedNamingThatBar() {
        Passthrough.declare(GPU, Map.of(1, bar2));
        refused(() -> Passthrough.declare(nic, Map.of(0, bar0, 2, bar2)), "'" + NIC + " BAR 2'",
                "already " + GPU + " BAR 1");
    }

    @Test
    void aRegionInsideAnotherBarIsRefused() {
        Passthrough.declare(NIC, Map.of(0, bar0));
        refused(() -> Passthrough.declare(GPU, Map.of(3, mmaps)), "lies inside '" + NIC + " BAR 0'",
                NIC + " BAR 0", "do not nest");
    }

    @Test
    void aRegionContainingAnotherBarIsRefused() {
        Passthrough.declare(GPU, Map.of(3, mmaps));
        refused(() -> Passthrough.declare(NIC, Map.of(0, bar0)), "contains '" + NIC + " BAR 0 mmaps[0]'",
                GPU + " BAR 3");
    }

    @Test
    void twoBarsOfOneDeclarationMayNotNest() {
        refused(() -> Passthrough.declare(NIC, Map.of(0, bar0, 1, mmaps)), "do not nest");
    }

    @Test
    void oneRegionForTwoBarsIsRefused() {
        refused(() -> Passthrough.declare(NIC, Map.of(0, bar0, 1, bar0)), "given for both", "one region per BAR");
    }

    @Test
    void anAliasIsRefusedNamingItsTarget() {
        MemoryRegion alias = sys.alias("bar-alias", bar0, 0, Size.of(0x4000));
        refused(() -> Passthrough.declare(NIC, Map.of(0, alias)), "'bar-alias'", "is an alias",
                "'" + NIC + " BAR 0'");
    }

    @Test
    void regionsOfAnotherSystemAreRefused() {
        MemoryRegion foreign = new MemorySystem().container("elsewhere", Size.of(0x1000));
        refused(() -> Passthrough.declare(NIC, Map.of(0, bar0, 1, foreign)), "'elsewhere'", "another MemorySystem");
    }

    @Test
    void anEmptyDeclarationIsRefused() {
        refused(() -> Passthrough.declare(NIC, Map.of()), NIC.toString(), "no BAR regions");
    }

    @Test
    void nullsAreRefused() {
        assertThrows(NullPointerException.class, () -> Passthrough.declare((PciAddress) null, Map.of(0, bar0)));
        assertThrows(NullPointerException.class, () -> Passthrough.declare(NIC, null));
        Map<Integer, MemoryRegion> withNull = new HashMap<>();
        withNull.put(0, null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> Passthrough.declare(NIC, withNull));
        assertTrue(e.getMessage().contains(NIC + " BAR 0"), e.getMessage());
    }

    @Test
    void removingADeviceClearsItsTagsInOneTransaction() {
        AddressSpace memory = sys.addressSpaces().get(0);
        Mediator m = new Mediator(memory);
        Passthrough p = Passthrough.declare(nic, Map.of(0, bar0, 2, bar2));
        long renders = sys.renderCount();
        p.remove();
        assertEquals(renders + 1, sys.renderCount());
        assertNull(bar0.passthroughBar());
        assertNull(bar2.passthroughBar());
        MediatedView view = m.view(Initiator.softwareDevice("nvme"));
        assertEquals(Section.Kind.RAM, view.section(view.indexOf(0xfe000000L)).kind());
    }

    @Test
    void askingForAnUndeclaredBarIsRefusedNamingTheDeclaredOnes() {
        Passthrough p = Passthrough.declare(nic, Map.of(0, bar0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.bar(2));
        assertTrue(e.getMessage().contains(NIC + " BAR 2 was not declared (declared: [0])"), e.getMessage());
    }
}
