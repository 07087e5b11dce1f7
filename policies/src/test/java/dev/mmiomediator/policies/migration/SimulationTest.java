package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.Simulation;
import dev.mmiomediator.policies.AbortMigrationPolicy;
import dev.mmiomediator.policies.FailAlwaysPolicy;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policies.RequireP2pPolicy;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.vfio.MigrationState;
import org.junit.jupiter.api.Test;

/**
 * Whole simulated migrations of the default VM (three passthrough devices, one without P2P; two software devices
 * doing DMA throughout) over loopback TCP, once per built-in policy, checked against what each policy promises
 * and against the software devices' own records (images, and each accepted P2P write, by its identity, taken
 * exactly once by its target device as that device's own write ledger says).
 */
class SimulationTest {
    private static final long SEED = Long.getLong("mmio.random.seed", 7);

    private static Simulation.Run run(Topology topology, P2pPolicy policy) throws InterruptedException {
        System.out.println("SimulationTest " + policy.name() + ": seed " + SEED);
        Simulation.Run r = Simulation.run(topology, policy.name(), policy, Simulation.Settings.defaults(SEED),
                line -> { });
        System.out.println("  " + r.outcome().word() + " " + r.reason() + ": p2p " + r.p2pAccesses() + ", forwarded "
                + r.forwarded() + ", failed " + r.failed() + ", queued " + r.queued() + ", replayed " + r.replayed()
                + ", carried " + r.carried() + ", aborts " + r.aborts() + ", taken " + r.taken() + ", lost "
                + r.lost() + ", duplicated " + r.duplicated() + ", unrecorded " + r.unrecorded() + ", images match " + r.imagesMatch() + ", downtime " + r.downtimeMillis() + " ms");
        return r;
    }

    private static void integrity(Simulation.Run r) {
        assertEquals(0, r.lost(), "accepted P2P writes never taken, by identity");
        assertEquals(0, r.duplicated(), "P2P writes taken more than once or never accepted, by identity");
        assertEquals(0, r.unrecorded(), "writes the devices' ledgers could not hold");
        assertTrue(r.imagesMatch(), "the running side's RAM and BARs differ from the expected image");
        // the devices' own ledgers, not the initiators' tallies: each P2P write was taken by its device or failed
        assertEquals(r.p2pAccesses(), r.taken() + r.failed(), "every P2P write has one outcome");
    }

    @Test
    void queueAndReplayCompletesAndEveryQueuedWriteLandsOnce() throws InterruptedException {
        Simulation.Run r = run(TopologyParser.defaultVm(), new QueueAndReplayPolicy());
        assertEquals(MigrationOutcome.COMPLETED, r.outcome(), r.reason());
        integrity(r);
        assertTrue(r.queued() > 0, "no write met a stopped device: the run tested nothing");
        assertEquals(r.queued(), r.replayed(), "every queued write replayed (on the source side it was carried "
                + "from, or on the destination)");
        assertTrue(r.carried() > 0, "writes held on the source must travel in the stream");
        assertEquals(0, r.failed());
        assertEquals(r.forwarded() + r.queued(), r.taken(), "the destination's devices took every accepted write of "
                + "both sides, once each");
        r.destinationPaths().values().forEach(p -> assertEquals(MigrationState.RUNNING, p.get(p.size() - 1)));
        r.sourcePaths().values().forEach(p -> assertEquals(MigrationState.STOP_COPY, p.get(p.size() - 1)));
    }

    @Test
    void abortMigrationCancelsAndTheSourceKeepsEverything() throws InterruptedException {
        Simulation.Run r = run(TopologyParser.defaultVm(), new AbortMigrationPolicy());
        assertEquals(MigrationOutcome.ABORTED, r.outcome());
        assertTrue(r.reason().startsWith("policy 'abort-migration'"), r.reason());
        integrity(r);
        assertTrue(r.aborts() > 0);
        r.sourcePaths().values().forEach(p -> assertEquals(MigrationState.RUNNING, p.get(p.size() - 1)));
    }

    @Test
    void failAlwaysCompletesAndFailedWritesAreNotCountedAsLost() throws InterruptedException {
        Simulation.Run r = run(TopologyParser.defaultVm(), new FailAlwaysPolicy());
        assertEquals(MigrationOutcome.COMPLETED, r.outcome(), r.reason());
        integrity(r);
        assertEquals(r.p2pAccesses(), r.failed(), "fail-always fails every P2P write");
        assertEquals(0, r.queued());
    }

    @Test
    void requireP2pBlocksTheDefaultVmWithQemusMessage() throws InterruptedException {
        Simulation.Run r = run(TopologyParser.defaultVm(), new RequireP2pPolicy());
        assertEquals(MigrationOutcome.BLOCKED, r.outcome());
        assertTrue(r.reason().contains(RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE), r.reason());
        assertEquals(0, r.p2pAccesses());
    }

    @Test
    void requireP2pMigratesWhenEveryDeviceHasP2p() throws InterruptedException {
        Topology all = TopologyParser.parse("""
                vm all-p2p
                passthrough nic 0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:0x4000
                passthrough gpu 0000:02:00.0 flags=STOP_COPY,P2P bars=0:0x10000,2:0x1000
                software virtio-net
                software nvme
                """, "all-p2p");
        Simulation.Run r = run(all, new RequireP2pPolicy());
        assertEquals(MigrationOutcome.COMPLETED, r.outcome(), r.reason());
        integrity(r);
    }
}
