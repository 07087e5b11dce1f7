package dev.mmiomediator.policy;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ABORTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.ERRORS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine with a simulated device: each decision carried out, counters, registration. */
class PolicyEngineTest {
    private static final P2pPolicy FORWARD_IF_ACCEPTS = RulePolicy.builder("forward-if-accepts")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD).otherwise(Decision.FAIL).build();

    private final SimulatedPassthroughDevice nic =
            new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));
    private final List<String> aborts = new ArrayList<>();

    private PolicyEngine engine(P2pPolicy policy) {
        PolicyEngine e = new PolicyEngine(policy, aborts::add);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        return e;
    }

    private static P2pAccess writeOf(long value, int length, long offset) {
        P2pAccess a = write(VIRTIO, NIC, 0, offset, length);
        for (int i = 0; i < length; i++) {
            a.data()[i] = (byte) (value >>> (8 * i));
        }
        return a;
    }

    private long counter(PolicyEngine e, PolicyCounters.Counter c) {
        return e.counters().get("virtio-net", NIC, c);
    }

    @Test
    void writeIsForwardedInRunning() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(writeOf(0x11223344L, 4, 0x10)));
        assertEquals(0x11223344L, nic.mmioRead("test", 0, 0x10, 4));
        assertEquals(1, counter(e, FORWARDED));
        assertEquals(1, counter(e, FAULTS));
    }

    @Test
    void readIsForwardedInRunningP2p() {
        nic.mmioWrite("test", 0, 0x20, 8, 0x0807060504030201L);
        nic.device().transition(MigrationState.RUNNING_P2P);
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        P2pAccess a = read(VIRTIO, NIC, 0, 0x20, 8);
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(a));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, a.data());
        assertEquals(1, counter(e, FORWARDED));
    }

    @Test
    void writeIsForwardedInRunningP2p() {
        nic.device().transition(MigrationState.RUNNING_P2P);
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(writeOf(0xabcdL, 2, 0x30)));
        assertEquals(0xabcdL, nic.mmioRead("test", 0, 0x30, 2));
    }

    @Test
    void writeToStoppedTargetIsDroppedWithoutTouchingTheDevice() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(writeOf(0xffL, 1, 0)));
        assertTrue(nic.accesses().isEmpty());
        assertEquals(1, counter(e, FAILED));
        assertEquals(0, counter(e, FORWARDED));
    }

    @Test
    void readOfStoppedTargetReturnsAllOnes() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        P2pAccess a = read(VIRTIO, NIC, 0, 0, 4);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(a));
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, a.data());
        assertTrue(nic.accesses().isEmpty());
        assertEquals(1, counter(e, FAILED));
    }

    @Test
    void forwardToATargetThatDoesNotAcceptIsNotPerformed() {
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = engine(RulePolicy.builder("always").otherwise(Decision.FORWARD).build());
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(writeOf(1, 4, 0)));
        assertTrue(nic.violations().isEmpty());
        assertEquals(1, counter(e, ERRORS));
        assertEquals(1, counter(e, FAILED));
    }

    @Test
    void unalignedForwardIsSplitIntoAlignedPieces() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(writeOf(0x0605040302_01L, 6, 1)));
        byte[] bar = nic.barContents(0);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 0}, Arrays.copyOf(bar, 8));
    }

    @Test
    void abortMigrationOnAnAcceptingTargetAsksAndForwards() {
        PolicyEngine e = engine(RulePolicy.builder("abort").otherwise(Decision.ABORT_MIGRATION).build());
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FORWARDED, e.handle(writeOf(7, 4, 0)));
        assertEquals(7, nic.mmioRead("test", 0, 0, 4));
        assertEquals(1, aborts.size());
        assertTrue(aborts.get(0).contains("target RUNNING"), aborts.get(0));
        assertEquals(1, counter(e, ABORTS));
        assertEquals(1, counter(e, FORWARDED));
    }

    @Test
    void accessToUnregisteredDeviceFails() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        P2pAccess a = read(VIRTIO, GPU, 0, 0, 1);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(a));
        assertEquals(1, e.counters().get("virtio-net", GPU, FAILED));
    }

    @Test
    void accessesToUnregisteredDevicesAreCountedApartFromPolicyFailures() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertFalse(e.isRegistered(GPU));
        assertTrue(e.isRegistered(NIC));
        e.handle(read(VIRTIO, GPU, 0, 0, 1));
        e.handle(writeOf(1, 4, 0)); // registered: forwarded, not counted
        assertEquals(1, e.unregisteredAccesses());
        assertTrue(e.unregister(NIC));
        e.handle(writeOf(1, 4, 0));
        assertEquals(2, e.unregisteredAccesses());
    }

    @Test
    void registeringTwiceIsRefusedNamingTheDevice() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.register(nic.device(), SimulatedP2pTarget.of(nic)));
        assertEquals("device 0000:01:00.0 is already registered with the policy engine", x.getMessage());
    }

    @Test
    void countersAreKeptPerInitiator() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        e.handle(writeOf(1, 4, 0));
        e.handle(write(dev.mmiomediator.dma.Initiator.softwareDevice("nvme"), NIC, 0, 0, 4));
        e.handle(write(dev.mmiomediator.dma.Initiator.softwareDevice("nvme"), NIC, 0, 4, 4));
        PolicyCounters c = e.counters();
        assertEquals(1, c.get("virtio-net", NIC, FORWARDED));
        assertEquals(2, c.get("nvme", NIC, FORWARDED));
        assertEquals(3, c.total(FORWARDED));
        assertEquals(3, c.target(NIC, FAULTS));
    }

    @Test
    void snapshotDoesNotChangeAfterLaterAccesses() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        e.handle(writeOf(1, 4, 0));
        PolicyCounters before = e.counters();
        e.handle(writeOf(1, 4, 0));
        assertEquals(1, before.get("virtio-net", NIC, FORWARDED));
    }

    @Test
    void policyAndPhaseAreHandedToThePolicy() {
        List<P2pRequest> seen = new ArrayList<>();
        P2pPolicy spy = new P2pPolicy() {
            @Override
            public String name() {
                return "spy";
            }

            @Override
            public String description() {
                return "records requests";
            }

            @Override
            public Decision decide(P2pRequest request) {
                seen.add(request);
                return Decision.FAIL;
            }
        };
        PolicyEngine e = engine(spy);
        e.setPhase(MigrationPhase.SOURCE_STOPPING);
        e.handle(writeOf(1, 4, 0));
        assertEquals(MigrationPhase.SOURCE_STOPPING, seen.get(0).phase());
        assertEquals(MigrationState.RUNNING, seen.get(0).targetState());
        assertTrue(seen.get(0).targetSupportsP2p());
    }

    /** A policy that fails the way a buggy third-party one might: it throws, or returns null. */
    private static P2pPolicy buggy(boolean throwing) {
        return new P2pPolicy() {
            @Override
            public String name() {
                return "buggy";
            }

            @Override
            public String description() {
                return throwing ? "throws" : "returns null";
            }

            @Override
            public Decision decide(P2pRequest request) {
                if (throwing) {
                    throw new IllegalStateException("no rule for " + request.device());
                }
                return null;
            }
        };
    }

    @Test
    void aPolicyThatThrowsMasterAbortsTheAccessInsteadOfThrowingIntoTheDevice() {
        PolicyEngine e = engine(buggy(true));
        P2pAccess r = read(VIRTIO, NIC, 0, 0, 4);
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(r));
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, r.data());
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(writeOf(1, 4, 0)));
        assertTrue(nic.accesses().isEmpty());
        assertEquals(2, counter(e, ERRORS));
        assertEquals(2, counter(e, FAILED));
    }

    @Test
    void aPolicyThatReturnsNoDecisionMasterAbortsTheAccess() {
        PolicyEngine e = engine(buggy(false));
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, e.handle(writeOf(1, 4, 0)));
        assertTrue(nic.accesses().isEmpty());
        assertEquals(1, counter(e, ERRORS));
        assertEquals(1, counter(e, FAILED));
    }

    @Test
    void theEngineSaysItsPolicySettingsPhaseAndDevices() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertSame(FORWARD_IF_ACCEPTS, e.policy());
        assertSame(PolicyEngine.Settings.DEFAULT, e.settings());
        assertEquals(MigrationPhase.NONE, e.phase());
        assertEquals("policy engine (forward-if-accepts, phase NONE, 1 devices)", e.toString());
        e.setPhase(MigrationPhase.DESTINATION_STARTING);
        assertEquals(MigrationPhase.DESTINATION_STARTING, e.phase());
    }

    @Test
    void anUnregisteredDeviceIsNoLongerServedAndMayBeRegisteredAgain() {
        PolicyEngine e = engine(FORWARD_IF_ACCEPTS);
        assertTrue(e.unregister(NIC));
        assertFalse(e.unregister(NIC), "unregistered twice");
        assertEquals(MemTxResult.P2P_FAILED, e.handle(writeOf(1, 4, 0)));
        assertTrue(nic.accesses().isEmpty());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.heldCount(NIC));
        assertEquals("device 0000:01:00.0 is not registered with the policy engine", x.getMessage());
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(writeOf(1, 4, 0)));
    }

    @Test
    void missingArgumentsAreRefusedByName() {
        assertEquals("policy", assertThrows(NullPointerException.class,
                () -> new PolicyEngine(null, MigrationControl.NONE)).getMessage());
        assertEquals("migration control", assertThrows(NullPointerException.class,
                () -> new PolicyEngine(FORWARD_IF_ACCEPTS, null)).getMessage());
        assertEquals("settings", assertThrows(NullPointerException.class,
                () -> new PolicyEngine(FORWARD_IF_ACCEPTS, MigrationControl.NONE, null)).getMessage());
        PolicyEngine e = new PolicyEngine(FORWARD_IF_ACCEPTS, MigrationControl.NONE);
        assertEquals("P2P target of 0000:01:00.0", assertThrows(NullPointerException.class,
                () -> e.register(nic.device(), null)).getMessage());
        assertEquals("migration phase", assertThrows(NullPointerException.class,
                () -> e.setPhase(null)).getMessage());
    }
}
