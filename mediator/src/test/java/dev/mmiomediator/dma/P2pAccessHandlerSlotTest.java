package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The handler's slot on a P2P access: one per port, kept between accesses; none on an access made by hand. */
class P2pAccessHandlerSlotTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final long BAR = 0xfe000000L;

    @Test
    void anAccessMadeWithThePublicConstructorHasNoSlot() {
        P2pAccess a = new P2pAccess(Initiator.softwareDevice("virtio-net"), new PassthroughBar(NIC, 0), 0, 4, true,
                new byte[4]);
        assertFalse(a.hasHandlerSlot());
        assertNull(a.handlerSlot());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.handlerSlot("cache"));
        assertTrue(e.getMessage().contains("public constructor"), e.getMessage());
        assertNull(a.handlerSlot());
    }

    @Test
    void aPortKeepsWhatItsHandlerStoredAndEachPortHasItsOwn() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion bar = sys.container(NIC + " BAR 0", Size.of(0x1000));
        try (MemorySystem.Transaction tx = sys.begin()) {
            bar.addSubregion(sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x1000)), 0);
            system.addSubregion(bar, BAR);
        }
        Passthrough.declare(NIC, Map.of(0, bar));
        Mediator mediator = new Mediator(sys.addressSpace("memory", system));
        List<Object> found = new ArrayList<>();
        List<P2pAccess> accesses = new ArrayList<>();
        mediator.setP2pHandler(access -> {
            assertTrue(access.hasHandlerSlot());
            found.add(access.handlerSlot());
            accesses.add(access);
            access.handlerSlot("cache " + accesses.size());
            return MemTxResult.P2P_FAILED;
        });
        Initiator virtio = Initiator.softwareDevice("virtio-net");
        DmaPort one = mediator.port(virtio);
        DmaPort two = mediator.port(virtio);
        one.write(BAR, 4, 1);
        one.read(BAR + 8, 8);
        two.write(BAR, 4, 2);
        one.write(BAR, 4, 3);

        assertEquals(Arrays.asList(null, "cache 1", null, "cache 2"), found);
        assertSame(accesses.get(0), accesses.get(1), "a port hands its handler the same access");
        assertSame(accesses.get(0), accesses.get(3));
        assertNotSame(accesses.get(0), accesses.get(2), "another port has its own");
        P2pAccess copy = accesses.get(0).copy();
        assertFalse(copy.hasHandlerSlot(), "a copy is the handler's, without the port's slot");
        assertNull(copy.handlerSlot());
    }
}
