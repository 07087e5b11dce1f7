package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.DestinationMigration;
import dev.mmiomediator.migration.MigrationChannel;
import dev.mmiomediator.migration.MigrationResult;
import dev.mmiomediator.migration.SourceMigration;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.migration.sim.VmImage;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The in-memory transport: a whole migration through {@link MigrationChannel#inMemoryPair()}, and a user cancel. */
class InMemoryMigrationTest {
    private static final Topology VM = TopologyParser.defaultVm();

    private static MigrationResult[] migrate(boolean cancel) throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort,
                PolicyEngine.Settings.DEFAULT, 21);
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, new AbortSwitch(),
                PolicyEngine.Settings.DEFAULT, 22);
        MigrationChannel[] pair = MigrationChannel.inMemoryPair();
        CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> new DestinationMigration(
                destination.passthroughDevices(), destination.engine(), plan, destination.hooks(), line -> { }).run(pair[1]));
        source.startSoftware();
        TimeUnit.MILLISECONDS.sleep(30);
        if (cancel) {
            abort.cancel("the user cancelled");
        }
        MigrationResult sent = new SourceMigration(VM.vm(), source.passthroughDevices(), source.engine(), plan, source.hooks(),
                abort, Duration.ofMillis(50), line -> { }).run(pair[0]);
        MigrationResult got = received.get(60, TimeUnit.SECONDS);
        source.stopSoftware();
        destination.stopSoftware();
        SimulatedVm running = sent.completed() ? destination : source;
        VmImage expected = running.blankImage();
        source.paintExpected(expected);
        if (sent.completed()) {
            destination.paintExpected(expected);
        }
        assertEquals("", running.actualImage().firstDifference(expected));
        running.devices().values().forEach(d -> assertEquals(MigrationState.RUNNING, d.device().state()));
        return new MigrationResult[] {sent, got};
    }

    @Test
    void aWholeMigrationInMemory() throws Exception {
        MigrationResult[] r = migrate(false);
        assertEquals("completed", r[0].outcome(), r[0].reason());
        assertEquals("completed", r[1].outcome(), r[1].reason());
        assertEquals(r[0].queuedCarried(), r[1].queuedCarried());
    }

    @Test
    void aUserCancelReturnsEveryDeviceToRunning() throws Exception {
        MigrationResult[] r = migrate(true);
        assertEquals("aborted", r[0].outcome());
        assertEquals("the user cancelled", r[0].reason());
        assertEquals("refused", r[1].outcome());
    }
}
