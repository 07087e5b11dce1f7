package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.migration.sim.WriteLedger;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-write check on a running simulated VM: a held write that is never replayed and a write a device takes
 * twice, injected together, are both reported, although the totals (writes accepted, writes the devices counted)
 * still agree, which is all the old check compared.
 */
class PerWriteIntegrityTest {
    private static final Topology VM = TopologyParser.defaultVm();
    private static final long SEED = Long.getLong("mmio.random.seed", 5);

    @Test
    void oneLostAndOneDuplicatedWriteAreBothReportedWhereTheTotalsAgree() throws Exception {
        System.out.println("PerWriteIntegrityTest: seed " + SEED);
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        SimulatedVm vm = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, new AbortSwitch(),
                PolicyEngine.Settings.DEFAULT, SEED);
        SimulatedPassthroughDevice sim = vm.devices().values().iterator().next();
        PassthroughDevice device = sim.device();
        PciAddress target = device.address();
        vm.startSoftware();
        try {
            device.transition(MigrationState.STOP);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (vm.engine().heldCount(target) < 2 && System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            assertTrue(vm.engine().heldCount(target) >= 2, "no write was held for " + target + " within 10 s");
            // the loss: the engine forgets the first held write as if a stream had carried it away
            vm.engine().confirmCarried(target, 1);
            device.transition(MigrationState.RUNNING); // replays the others
        } finally {
            vm.stopSoftware();
        }
        WriteLedger.Check clean = vm.checkWrites(vm);
        assertEquals(1, clean.lost(), clean.toString());
        assertEquals(0, clean.duplicated(), clean.toString());
        // the duplicate: a write the device took, taken once more
        long[] ledger = sim.writeLedger();
        long again = ledger[ledger.length / 2];
        sim.mmioWrite("p2p", device.bars().get(0).index(), 0, 8, again);

        assertEquals(vm.acceptedP2pWrites(), vm.deviceWrites(), "the totals agree: the old check saw nothing");
        WriteLedger.Check c = vm.checkWrites(vm);
        assertEquals(1, c.lost(), c.toString());
        assertEquals(1, c.duplicated(), c.toString());
        assertEquals(c.accepted(), c.taken());
        assertTrue(c.firstProblem().contains(target.toString()), c.firstProblem());
    }
}
