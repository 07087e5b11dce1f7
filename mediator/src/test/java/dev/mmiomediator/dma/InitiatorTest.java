package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.pci.PciAddress;
import org.junit.jupiter.api.Test;

/** Initiators: only the vCPU sees BARs directly; every initiator has a name for logs and counters. */
class InitiatorTest {
    @Test
    void anInitiatorWithoutANameIsRefused() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Initiator.softwareDevice(""));
        assertEquals("initiator id '': expected a non-empty name", empty.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> new Initiator(Initiator.Kind.SOFTWARE_DEVICE, null));
        assertEquals("initiator id 'null': expected a non-empty name", none.getMessage());
        assertThrows(NullPointerException.class, () -> new Initiator(null, "x"));
    }

    @Test
    void onlyTheVcpuIsAVcpu() {
        assertTrue(Initiator.vcpu().isVcpu());
        assertFalse(Initiator.softwareDevice("virtio-net").isVcpu());
        assertFalse(Initiator.passthroughDevice(PciAddress.parse("0000:01:00.0")).isVcpu());
    }

    @Test
    void anInitiatorPrintsAsItsName() {
        assertEquals("vcpu", Initiator.vcpu().toString());
        assertEquals("virtio-net", Initiator.softwareDevice("virtio-net").toString());
        assertEquals("0000:01:00.0", Initiator.passthroughDevice(PciAddress.parse("0000:01:00.0")).toString());
    }
}
