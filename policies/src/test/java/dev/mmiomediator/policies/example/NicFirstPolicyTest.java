package dev.mmiomediator.policies.example;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.MigrationControl;
import dev.mmiomediator.policy.MigrationPhase;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.policy.RulePolicy;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** example-nic-first: forwards only its initiator's writes to its BAR range while the target accepts. */
class NicFirstPolicyTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress GPU = PciAddress.parse("0000:02:00.0");
    private static final Initiator VIRTIO = Initiator.softwareDevice("virtio-net");
    private static final P2pPolicy POLICY = NicFirstPolicy.create();

    private static P2pAccess access(Initiator who, PciAddress device, int bar, long offset, boolean write) {
        return new P2pAccess(who, new PassthroughBar(device, bar), offset, 4, write, new byte[4]);
    }

    private static Decision decide(P2pAccess a, MigrationState state) {
        return POLICY.decide(new P2pRequest(a, state, true, MigrationPhase.SOURCE_STOPPING));
    }

    private static Decision decide(P2pAccess a) {
        return decide(a, MigrationState.RUNNING);
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"RUNNING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"})
    void itsWritesAreForwardedWhileTheTargetAccepts(MigrationState state) {
        assertEquals(Decision.FORWARD, decide(access(VIRTIO, NIC, 2, 0x40, true), state));
        assertEquals(Decision.FORWARD, decide(access(VIRTIO, NIC, 2, 0xffc, true), state));
    }

    @ParameterizedTest
    @EnumSource(value = MigrationState.class, names = {"STOP", "STOP_COPY", "RESUMING", "ERROR"})
    void itsWritesFailWhenTheTargetRefuses(MigrationState state) {
        assertEquals(Decision.FAIL, decide(access(VIRTIO, NIC, 2, 0x40, true), state));
    }

    @ParameterizedTest
    @EnumSource(MigrationState.class)
    void readsFailInEveryState(MigrationState state) {
        assertEquals(Decision.FAIL, decide(access(VIRTIO, NIC, 2, 0x40, false), state));
    }

    @Test
    void writesOutsideTheRangeTheBarOrTheDeviceFail() {
        assertEquals(Decision.FAIL, decide(access(VIRTIO, NIC, 2, 0xffe, true)), "straddles the end");
        assertEquals(Decision.FAIL, decide(access(VIRTIO, NIC, 2, 0x1000, true)), "past the end");
        assertEquals(Decision.FAIL, decide(access(VIRTIO, NIC, 0, 0x40, true)), "other BAR");
        assertEquals(Decision.FAIL, decide(access(VIRTIO, GPU, 2, 0x40, true)), "other device");
    }

    @Test
    void writesByOtherInitiatorsFail() {
        assertEquals(Decision.FAIL, decide(access(Initiator.softwareDevice("virtio-blk"), NIC, 2, 0x40, true)));
        assertEquals(Decision.FAIL, decide(access(Initiator.passthroughDevice(GPU), NIC, 2, 0x40, true)));
    }

    @Test
    void itNeverQueues() {
        RulePolicy p = assertInstanceOf(RulePolicy.class, POLICY);
        assertEquals(Decision.FAIL, p.otherwise());
        assertTrue(p.entries().stream().noneMatch(e -> e.decision() == Decision.QUEUE));
    }

    @Test
    void throughTheEngineTheWriteLandsAndTheReadIsAllOnes() {
        SimulatedPassthroughDevice sim = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000), new PciBar(2, 0x2000));
        PolicyEngine e = new PolicyEngine(NicFirstPolicy.create(), MigrationControl.NONE);
        e.register(sim.device(), SimulatedP2pTarget.of(sim));
        P2pAccess w = new P2pAccess(VIRTIO, new PassthroughBar(NIC, 2), 0x40, 4, true, new byte[] {1, 2, 3, 4});
        assertEquals(MemTxResult.P2P_FORWARDED, e.handle(w));
        assertEquals(0x04030201L, sim.mmioRead("test", 2, 0x40, 4));
        P2pAccess r = access(VIRTIO, NIC, 2, 0x40, false);
        assertEquals(MemTxResult.P2P_FAILED, e.handle(r));
        assertEquals(-1, java.nio.ByteBuffer.wrap(r.data()).getInt());
        PolicyCounters c = e.counters();
        assertEquals(1, c.get("virtio-net", NIC, PolicyCounters.Counter.FORWARDED));
        assertEquals(1, c.get("virtio-net", NIC, PolicyCounters.Counter.FAILED));
    }

    @Test
    void itIsFoundByNameAndTakesOptions() {
        ClassLoader loader = NicFirstPolicyTest.class.getClassLoader();
        assertEquals(NicFirstPolicy.DESCRIPTION, Policies.find("example-nic-first", loader).description());
        P2pPolicy p = Policies.create("example-nic-first",
                Map.of("initiator", "virtio-blk", "device", "0000:02:00.0", "bar", "0", "from", "0x100", "to", "0x200"),
                loader);
        Initiator blk = Initiator.softwareDevice("virtio-blk");
        assertEquals(Decision.FORWARD, p.decide(new P2pRequest(access(blk, GPU, 0, 0x100, true),
                MigrationState.RUNNING, false, MigrationPhase.NONE)));
        assertEquals(Decision.FAIL, p.decide(new P2pRequest(access(blk, GPU, 0, 0x40, true),
                MigrationState.RUNNING, false, MigrationPhase.NONE)));
        assertEquals(Decision.FAIL, p.decide(new P2pRequest(access(VIRTIO, GPU, 0, 0x100, true),
                MigrationState.RUNNING, false, MigrationPhase.NONE)));
    }

    @Test
    void badOptionsAreRefusedNamingThem() {
        NicFirstPolicy.Provider provider = new NicFirstPolicy.Provider();
        assertEquals("policy 'example-nic-first': unknown option(s) [colour], expected some of "
                        + "[bar, device, from, initiator, to]",
                assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("colour", "red")))
                        .getMessage());
        assertEquals("policy 'example-nic-first': option bar=7: expected an index from 0 to 5",
                assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("bar", "7"))).getMessage());
        assertEquals("policy 'example-nic-first': option from='x': expected a number (decimal or 0x hex)",
                assertThrows(IllegalArgumentException.class, () -> provider.create(Map.of("from", "x"))).getMessage());
        assertEquals("policy 'example-nic-first': options from=4096, to=16: expected 0 <= from < to",
                assertThrows(IllegalArgumentException.class,
                        () -> provider.create(Map.of("from", "0x1000", "to", "16"))).getMessage());
        String bad = assertThrows(IllegalArgumentException.class,
                () -> provider.create(Map.of("device", "01:00"))).getMessage();
        assertTrue(bad.startsWith("policy 'example-nic-first': option device: PCI address '01:00'"), bad);
    }
}
