package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.vfio.MigrationState;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a policy is asked about, and which migration phases are on the destination. */
class P2pRequestTest {
    @Test
    void aRequestReadsAsTheAccessAndTheTargetsSituation() {
        assertEquals("write 0000:01:00.0 BAR 2+0x40/4 by virtio-net (target STOP, P2P, phase SOURCE_STOPPING)",
                new P2pRequest(write(VIRTIO, NIC, 2, 0x40, 4), MigrationState.STOP, true,
                        MigrationPhase.SOURCE_STOPPING).toString());
        assertEquals("read 0000:01:00.0 BAR 0+0x0/1 by virtio-net (target RUNNING, no P2P, phase NONE)",
                new P2pRequest(read(VIRTIO, NIC, 0, 0, 1), MigrationState.RUNNING, false, MigrationPhase.NONE)
                        .toString());
    }

    @Test
    void aRequestNamesItsDeviceBarAndDirection() {
        P2pRequest r = new P2pRequest(read(VIRTIO, NIC, 3, 0, 1), MigrationState.RUNNING_P2P, true,
                MigrationPhase.NONE);
        assertEquals(NIC, r.device());
        assertEquals(3, r.bar());
        assertFalse(r.write());
        assertTrue(r.targetAccepts());
    }

    @Test
    void aRequestNeedsItsAccessStateAndPhase() {
        assertEquals("access", assertThrows(NullPointerException.class,
                () -> new P2pRequest(null, MigrationState.RUNNING, true, MigrationPhase.NONE)).getMessage());
        assertEquals("target state", assertThrows(NullPointerException.class,
                () -> new P2pRequest(read(VIRTIO, NIC, 0, 0, 1), null, true, MigrationPhase.NONE)).getMessage());
        assertEquals("migration phase", assertThrows(NullPointerException.class,
                () -> new P2pRequest(read(VIRTIO, NIC, 0, 0, 1), MigrationState.RUNNING, true, null)).getMessage());
    }

    @Test
    void onlyResumingAndStartingAreDestinationPhases() {
        Set<MigrationPhase> destination = EnumSet.of(MigrationPhase.DESTINATION_RESUMING,
                MigrationPhase.DESTINATION_STARTING);
        for (MigrationPhase p : MigrationPhase.values()) {
            assertEquals(destination.contains(p), p.isDestination(), p.name());
        }
    }
}
