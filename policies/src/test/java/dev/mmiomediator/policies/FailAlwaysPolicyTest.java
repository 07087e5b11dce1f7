package dev.mmiomediator.policies;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** fail-always: every access fails, in every target state, and the device is never touched. */
class FailAlwaysPolicyTest {
    private static PolicyEngine engine(SimulatedPassthroughDevice sim) {
        PolicyEngine e = new PolicyEngine(new FailAlwaysPolicy(), MigrationControl.NONE);
        e.register(sim.device(), SimulatedP2pTarget.of(sim));
        return e;
    }

    @ParameterizedTest
    @EnumSource(MigrationState.class)
    void writeIsDroppedInEveryState(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        PolicyEngine e = engine(sim);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(Devices.write(0x12345678)));
        assertTrue(sim.accesses().isEmpty());
        PolicyCounters c = e.counters();
        assertEquals(1, c.get("virtio-net", Devices.NIC, PolicyCounters.Counter.FAILED));
        assertEquals(0, c.get("virtio-net", Devices.NIC, PolicyCounters.Counter.FORWARDED));
    }

    @ParameterizedTest
    @EnumSource(MigrationState.class)
    void readReturnsAllOnesInEveryState(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        PolicyEngine e = engine(sim);
        P2pAccess a = Devices.read();
        assertEquals(MemTxResult.P2P_FAILED, e.handle(a));
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, a.data());
        assertTrue(sim.accesses().isEmpty());
        assertEquals(1, e.counters().get("virtio-net", Devices.NIC, PolicyCounters.Counter.FAILED));
    }
}
