package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.Simulation;
import dev.mmiomediator.policies.FailAlwaysPolicy;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.vfio.MigrationState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths {@code plan} reports (the plan {@link MigrationPlanner#plan(Topology, String, P2pPolicy)} makes, the one
 * call behind plan, simulate and migrate) are the paths a simulated migration walks, device by device, PRE_COPY
 * included, on the source and on the destination.
 */
class PlanPathsAreWalkedTest {
    static final Topology PRE_COPY_AND_P2P_LESS = TopologyParser.parse("""
            vm pre-copy-and-p2p-less
            passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:16K,2:4K
            passthrough dsp  0000:02:00.0 flags=STOP_COPY,PRE_COPY bars=0:64K
            passthrough gpu  0000:04:00.0 flags=STOP_COPY,P2P bars=0:1M
            passthrough fpga 0000:03:00.0 flags=STOP_COPY bars=0:64K,2:2M
            software virtio-net
            software nvme
            """, "pre-copy-and-p2p-less");

    static void walksThePlannedPaths(Topology topology, P2pPolicy policy) throws InterruptedException {
        MigrationPlan planned = MigrationPlanner.plan(topology, policy.name(), policy);
        Simulation.Run run = Simulation.run(topology, policy.name(), policy, Simulation.Settings.defaults(7),
                line -> { });
        assertEquals(MigrationOutcome.COMPLETED, run.outcome(), run.reason());
        assertEquals(planned.sourcePaths(), run.sourcePaths(), topology.vm() + " " + policy.name() + " source");
        assertEquals(planned.destinationPaths(), run.destinationPaths(),
                topology.vm() + " " + policy.name() + " destination");
    }

    @Test
    void onTheDefaultVmTheNicWalksPreCopyAsPlanned() throws InterruptedException {
        Topology vm = TopologyParser.defaultVm();
        walksThePlannedPaths(vm, new QueueAndReplayPolicy());
        MigrationPlan plan = MigrationPlanner.plan(vm, QueueAndReplayPolicy.NAME, new QueueAndReplayPolicy());
        assertEquals(List.of(MigrationState.RUNNING, MigrationState.PRE_COPY, MigrationState.PRE_COPY_P2P,
                MigrationState.STOP_COPY), plan.sourcePaths().get(vm.passthrough().get(0).address()));
    }

    @Test
    void withPreCopyAndP2pLessDevicesEveryDeviceWalksItsPlannedPath() throws InterruptedException {
        walksThePlannedPaths(PRE_COPY_AND_P2P_LESS, new QueueAndReplayPolicy());
        walksThePlannedPaths(PRE_COPY_AND_P2P_LESS, new FailAlwaysPolicy());
    }
}
