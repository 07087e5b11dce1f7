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
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** require-p2p: forward when the target accepts, fail otherwise; QEMU 8.2's multi-device check. */
class RequireP2pPolicyTest {
    private static PolicyEngine engine(SimulatedPassthroughDevice sim) {
        PolicyEngine e = new PolicyEngine(new RequireP2pPolicy(), MigrationControl.NONE);
        e.register(sim.device(), SimulatedP2pTarget.of(sim));
        return e;
    }

    private static long count(PolicyEngine e, PolicyCounters.Counter c) {
        return e.counters().get("virtio-net", Devices.NIC, c);
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"RUNNING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"})
    void writeIsForwardedWhenTheTargetAccepts(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        PolicyEngine e = engine(sim);
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(Devices.write(0x12345678)));
        assertEquals(0x12345678L, sim.mmioRead("test", 0, 0x40, 4));
        assertEquals(1, count(e, PolicyCounters.Counter.FORWARDED));
        assertEquals(0, count(e, PolicyCounters.Counter.FAILED));
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"RUNNING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"})
    void readIsForwardedWhenTheTargetAccepts(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        sim.mmioWrite("test", 0, 0x40, 4, 0x04030201L);
        PolicyEngine e = engine(sim);
        P2pAccess a = Devices.read();
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(a));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, a.data());
        assertEquals(1, count(e, PolicyCounters.Counter.FORWARDED));
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"STOP", "STOP_COPY", "RESUMING", "ERROR"})
    void writeFailsWhenTheTargetRefuses(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        PolicyEngine e = engine(sim);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(Devices.write(0x12345678)));
        assertTrue(sim.accesses().isEmpty());
        assertEquals(1, count(e, PolicyCounters.Counter.FAILED));
        assertEquals(0, count(e, PolicyCounters.Counter.FORWARDED));
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"STOP", "STOP_COPY", "RESUMING", "ERROR"})
    void readReturnsAllOnesWhenTheTargetRefuses(MigrationState state) {
        SimulatedPassthroughDevice sim = Devices.in(state);
        PolicyEngine e = engine(sim);
        P2pAccess a = Devices.read();
        assertEquals(MemTxResult.P2P_FAILED, e.handle(a));
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, a.data());
        assertTrue(sim.accesses().isEmpty());
        assertEquals(1, count(e, PolicyCounters.Counter.FAILED));
    }

    private static PassthroughDevice device(String address, MigrationFlags flags) {
        return new SimulatedPassthroughDevice(PciAddress.parse(address), flags, new PciBar(0, 0x1000)).device();
    }

    @Test
    void oneDeviceWithoutP2pMayMigrate() {
        assertEquals(Optional.empty(),
                RequireP2pPolicy.migrationBlocker(List.of(device("0000:01:00.0", MigrationFlags.STOP_COPY_ONLY))));
    }

    @Test
    void twoDevicesWithP2pMayMigrate() {
        assertEquals(Optional.empty(), RequireP2pPolicy.migrationBlocker(List.of(
                device("0000:01:00.0", MigrationFlags.WITH_P2P), device("0000:02:00.0", MigrationFlags.ALL))));
    }

    @Test
    void twoDevicesOneWithoutP2pAreBlockedWithQemusMessage() {
        assertEquals(Optional.of("Multiple VFIO devices migration is supported only if all of them support P2P "
                + "migration"), RequireP2pPolicy.migrationBlocker(List.of(
                device("0000:01:00.0", MigrationFlags.WITH_P2P), device("0000:02:00.0", MigrationFlags.STOP_COPY_ONLY))));
    }
}
