package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.Requests.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import org.junit.jupiter.api.Test;

/** One target's held writes on their own: the capacity bound and how the replay listener names itself. */
class HeldWritesTest {
    private final SimulatedPassthroughDevice nic =
            new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));

    private HeldWrites heldWrites(int capacity) {
        return new HeldWrites(nic.device(), SimulatedP2pTarget.of(nic), capacity, new CounterTable(),
                new EngineWarnings(), "policy engine (q)", () -> null);
    }

    @Test
    void reserveTakesExactlyCapacitySlots() {
        HeldWrites w = heldWrites(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(w.reserve(), "slot " + i);
        }
        assertFalse(w.reserve());
        assertEquals(3, w.held());
    }

    @Test
    void aQueueOfOneIsBoundedByItsCapacityNotByTheJctoolsMinimum() {
        HeldWrites w = heldWrites(1);
        assertTrue(w.reserve());
        assertFalse(w.reserve());
    }

    @Test
    void theReplayListenerNamesItsEngineAndDevice() {
        assertEquals("policy engine (q) replay of 0000:01:00.0", heldWrites(4).toString());
    }

    @Test
    void aClosedTargetIsNoLongerOpenAndWakesItsWaiters() {
        HeldWrites w = heldWrites(4);
        long seen = w.version();
        assertTrue(w.isOpen());
        w.close();
        assertFalse(w.isOpen());
        assertTrue(w.await(seen, System.nanoTime()), "close did not signal");
    }
}
