package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.PassthroughMap.bar;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine's per-port cache (what it keeps in a port's {@link dev.mmiomediator.dma.P2pAccess#handlerSlot() handler
 * slot}), through real ports of a {@link Mediator}: a device unregistered or registered anew is never served from
 * it, two ports of one initiator and one port to several devices count and reach the right place, and a slot
 * another engine filled is not taken for this engine's.
 */
class PolicyEnginePortCacheTest {
    /** Forwards when the target accepts, else fails: every access either forwards or fails. */
    private static final P2pPolicy FORWARD_IF_ACCEPTS = RulePolicy.builder("forward-if-accepts")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD).otherwise(Decision.FAIL).build();

    private static PolicyEngine engine(PassthroughMap map) {
        PolicyEngine e = new PolicyEngine(FORWARD_IF_ACCEPTS, reason -> { });
        map.mediator.setP2pHandler(e);
        return e;
    }

    @Test
    void aReRegisteredDeviceIsReachedNotTheOneCachedBeforeIt() {
        PassthroughMap map = new PassthroughMap(1);
        PolicyEngine e = engine(map);
        SimulatedPassthroughDevice first = map.device(0);
        e.register(first.device(), SimulatedP2pTarget.of(first));
        DmaPort port = map.mediator.port(Initiator.softwareDevice("virtio-net"));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(0) + 0x10, 4, 0x1111));
        assertEquals(0x1111, first.mmioRead("test", 0, 0x10, 4));

        assertTrue(e.unregister(map.addresses.get(0)));
        SimulatedPassthroughDevice second = map.device(0);
        assertNotSame(first.device(), second.device());
        e.register(second.device(), SimulatedP2pTarget.of(second));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(0) + 0x10, 4, 0x2222));
        assertEquals(0x2222, second.mmioRead("test", 0, 0x10, 4), "the write reaches the device registered now");
        assertEquals(0x1111, first.mmioRead("test", 0, 0x10, 4), "and not the one the port reached before");

        // the new registration's state decides, not the old one's
        second.device().transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_FAILED, port.write(bar(0) + 0x10, 4, 0x3333));
        assertEquals(0xffffffffL, port.read(bar(0) + 0x10, 4));
        assertTrue(second.violations().isEmpty(), second.violations().toString());
        assertTrue(first.violations().isEmpty(), first.violations().toString());

        PolicyCounters c = e.counters();
        assertEquals(4, c.get("virtio-net", map.addresses.get(0), FAULTS));
        assertEquals(2, c.get("virtio-net", map.addresses.get(0), FORWARDED));
        assertEquals(2, c.get("virtio-net", map.addresses.get(0), FAILED));
        assertEquals(0, e.unregisteredAccesses());
    }

    @Test
    void anUnregisteredDeviceIsNotServedFromTheCache() {
        PassthroughMap map = new PassthroughMap(1);
        PolicyEngine e = engine(map);
        SimulatedPassthroughDevice nic = map.device(0);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        DmaPort port = map.mediator.port(Initiator.softwareDevice("virtio-net"));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(0), 8, 0x0102030405060708L));
        int reached = nic.accesses().size();

        assertTrue(e.unregister(map.addresses.get(0)));
        assertEquals(MemTxResult.P2P_FAILED, port.write(bar(0), 8, -1L));
        assertEquals(-1L, port.read(bar(0), 8), "a master-aborted read returns all-ones");
        assertEquals(MemTxResult.P2P_FAILED, port.result());
        assertEquals(reached, nic.accesses().size(), "the unregistered device is not touched");
        assertEquals(0x0102030405060708L, nic.mmioRead("test", 0, 0, 8));
        assertEquals(2, e.unregisteredAccesses());

        // registered again (the same device): reached again
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(0), 8, 0x55L));
        assertEquals(0x55L, nic.mmioRead("test", 0, 0, 8));
        assertEquals(2, e.unregisteredAccesses());

        PolicyCounters c = e.counters();
        assertEquals(4, c.get("virtio-net", map.addresses.get(0), FAULTS));
        assertEquals(2, c.get("virtio-net", map.addresses.get(0), FORWARDED));
        assertEquals(2, c.get("virtio-net", map.addresses.get(0), FAILED));
    }

    @Test
    void twoPortsOfOneInitiatorCountInOneRow() {
        PassthroughMap map = new PassthroughMap(1);
        PolicyEngine e = engine(map);
        SimulatedPassthroughDevice nic = map.device(0);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        Initiator virtio = Initiator.softwareDevice("virtio-net");
        DmaPort a = map.mediator.port(virtio);
        DmaPort b = map.mediator.port(virtio);
        for (int i = 0; i < 10; i++) {
            assertEquals(MemTxResult.P2P_FORWARDED, a.write(bar(0) + 8L * i, 8, 100 + i));
            assertEquals(MemTxResult.P2P_FORWARDED, b.write(bar(0) + 0x800 + 8L * i, 8, 200 + i));
            assertEquals(100 + i, b.read(bar(0) + 8L * i, 8), "port b reads what port a wrote");
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(200 + i, nic.mmioRead("test", 0, 0x800 + 8L * i, 8));
        }
        nic.device().transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_FAILED, a.write(bar(0), 8, 0));
        assertEquals(-1L, b.read(bar(0), 8));
        PolicyCounters c = e.counters();
        assertEquals(Set.of(new PolicyCounters.Key("virtio-net", map.addresses.get(0))), c.keys());
        assertEquals(32, c.get("virtio-net", map.addresses.get(0), FAULTS));
        assertEquals(30, c.get("virtio-net", map.addresses.get(0), FORWARDED));
        assertEquals(2, c.get("virtio-net", map.addresses.get(0), FAILED));
    }

    @Test
    void onePortAlternatingBetweenDevicesReachesEachAndCountsEach() {
        // more devices than a port's cache remembers, so routes are dropped and made again
        int devices = PortCache.MAX_ROUTES + 3;
        PassthroughMap map = new PassthroughMap(devices);
        PolicyEngine e = engine(map);
        List<SimulatedPassthroughDevice> sims = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            SimulatedPassthroughDevice d = map.device(i);
            sims.add(d);
            e.register(d.device(), SimulatedP2pTarget.of(d));
        }
        DmaPort port = map.mediator.port(Initiator.softwareDevice("virtio-net"));
        int rounds = 5;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < devices; i++) {
                long value = (long) r << 32 | i;
                assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(i) + 8L * r, 8, value));
                // alternate between two devices as well: the one just written and device 0
                assertEquals((long) r << 32, port.read(bar(0) + 8L * r, 8));
            }
        }
        for (int i = 0; i < devices; i++) {
            for (int r = 0; r < rounds; r++) {
                assertEquals((long) r << 32 | i, sims.get(i).mmioRead("test", 0, 8L * r, 8), "device " + i);
            }
        }
        // one device stops: only its accesses fail, from the same port, while the others still forward
        sims.get(1).device().transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_FAILED, port.write(bar(1), 8, 7));
        assertEquals(MemTxResult.P2P_FORWARDED, port.write(bar(2), 8, 7));
        assertEquals(MemTxResult.P2P_FAILED, port.write(bar(1), 8, 7));

        PolicyCounters c = e.counters();
        for (int i = 0; i < devices; i++) {
            PciAddress a = map.addresses.get(i);
            long reads = i == 0 ? rounds * devices : 0;
            long extra = i == 1 || i == 2 ? (i == 1 ? 2 : 1) : 0;
            assertEquals(rounds + reads + extra, c.get("virtio-net", a, FAULTS), "device " + i);
            assertEquals(rounds + reads + (i == 2 ? 1 : 0), c.get("virtio-net", a, FORWARDED), "device " + i);
            assertEquals(i == 1 ? 2 : 0, c.get("virtio-net", a, FAILED), "device " + i);
        }
        for (SimulatedPassthroughDevice d : sims) {
            assertTrue(d.violations().isEmpty(), d.violations().toString());
        }
    }

    @Test
    void aSlotAnotherEngineFilledIsNotTakenForThisEnginesCache() {
        PassthroughMap map = new PassthroughMap(1);
        SimulatedPassthroughDevice nic = map.device(0);
        PolicyEngine one = new PolicyEngine(FORWARD_IF_ACCEPTS, reason -> { });
        PolicyEngine two = new PolicyEngine(RulePolicy.builder("fail").otherwise(Decision.FAIL).build(), r -> { });
        one.register(nic.device(), SimulatedP2pTarget.of(nic));
        two.register(nic.device(), SimulatedP2pTarget.of(nic));
        DmaPort port = map.mediator.port(Initiator.softwareDevice("virtio-net"));
        for (int i = 0; i < 6; i++) {
            PolicyEngine e = i % 2 == 0 ? one : two;
            map.mediator.setP2pHandler(e);
            int expected = e == one ? MemTxResult.P2P_FORWARDED : MemTxResult.P2P_FAILED;
            assertEquals(expected, port.write(bar(0), 4, i), "access " + i);
        }
        PciAddress a = map.addresses.get(0);
        assertEquals(3, one.counters().get("virtio-net", a, FAULTS));
        assertEquals(3, one.counters().get("virtio-net", a, FORWARDED));
        assertEquals(0, one.counters().get("virtio-net", a, FAILED));
        assertEquals(3, two.counters().get("virtio-net", a, FAULTS));
        assertEquals(0, two.counters().get("virtio-net", a, FORWARDED));
        assertEquals(3, two.counters().get("virtio-net", a, FAILED));
        assertEquals(4, nic.mmioRead("test", 0, 0, 4), "the last forwarded write");
    }

    @Test
    void theTraceListenerSeesEveryAccessOfAPortAcrossUnregisterAndReRegister() {
        PassthroughMap map = new PassthroughMap(1);
        PolicyEngine e = engine(map);
        List<String> traced = new ArrayList<>();
        e.setTraceListener(new TraceListener() {
            @Override
            public void p2pAccess(P2pAccess access, MigrationState targetState, String decision, int result) {
                traced.add(access.barOffset() + " " + targetState + " " + decision + " " + MemTxResult.describe(result));
            }
        });
        SimulatedPassthroughDevice nic = map.device(0);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        DmaPort port = map.mediator.port(Initiator.softwareDevice("virtio-net"));
        port.write(bar(0), 4, 1);                       // found, cached
        e.unregister(map.addresses.get(0));
        port.write(bar(0) + 4, 4, 2);                   // the cached target is closed: looked up again, none
        SimulatedPassthroughDevice again = map.device(0);
        e.register(again.device(), SimulatedP2pTarget.of(again));
        again.device().transition(MigrationState.STOP);
        port.write(bar(0) + 8, 4, 3);                   // none cached: found anew, decided on its state
        assertEquals(List.of(
                "0 RUNNING FORWARD " + MemTxResult.describe(MemTxResult.P2P_FORWARDED),
                "4 null null " + MemTxResult.describe(MemTxResult.P2P_FAILED),
                "8 STOP FAIL " + MemTxResult.describe(MemTxResult.P2P_FAILED)), traced);
    }
}
