package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.mmiomediator.migration.sim.WriteLedger;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The in-memory transport: a whole migration through {@link MigrationChannel#inMemoryPair()}, and a user cancel at
 * every point of the source's run up to sending the stream.
 */
class InMemoryMigrationTest {
    private static final Topology VM = TopologyParser.defaultVm();

    /**
     * @param cancelAt 0: cancel before the run; n: at the source's n-th progress line; -1: never
     * @param destinationCancel a reason to cancel the destination gets before the stream arrives (as a policy asks
     *                          through its engine), or null
     */
    private static MigrationResult[] migrate(int cancelAt, String destinationCancel) throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort,
                PolicyEngine.Settings.DEFAULT, 21);
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, destinationAbort,
                PolicyEngine.Settings.DEFAULT, 22);
        if (destinationCancel != null) {
            destinationAbort.requestAbort(destinationCancel);
        }
        MigrationChannel[] pair = MigrationChannel.inMemoryPair();
        CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> new DestinationMigration(
                VM.vm(), destination.passthroughDevices(), destination.engine(), plan, destination.hooks(),
                destinationAbort, DestinationMigration.Settings.DEFAULT, line -> { }).run(pair[1]));
        source.startSoftware();
        TimeUnit.MILLISECONDS.sleep(30);
        if (cancelAt == 0) {
            abort.cancel("the user cancelled");
        }
        int[] lines = new int[1];
        MigrationResult sent = new SourceMigration(VM.vm(), source.passthroughDevices(), source.engine(), plan, source.hooks(),
                abort, Duration.ofMillis(50), line -> {
                    if (++lines[0] == cancelAt) {
                        abort.cancel("the user cancelled");
                    }
                }).run(pair[0]);
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
        WriteLedger.Check writes = sent.completed() ? running.checkWrites(source, destination)
                : running.checkWrites(source);
        assertTrue(writes.accepted() > 0, "no P2P write was accepted: the run tested nothing");
        assertTrue(writes.exact(), "P2P writes, by identity: " + writes);
        if (!sent.completed() && destinationCancel == null) {
            destination.devices().values().forEach(d -> assertEquals(MigrationState.RUNNING, d.device().state()));
            assertEquals(destination.blankImage(), destination.actualImage(), "the destination changed");
        }
        return new MigrationResult[] {sent, got};
    }

    @Test
    void aWholeMigrationInMemory() throws Exception {
        MigrationResult[] r = migrate(-1, null);
        assertEquals("completed", r[0].outcome(), r[0].reason());
        assertEquals("completed", r[1].outcome(), r[1].reason());
        assertEquals(r[0].queuedCarried(), r[1].queuedCarried());
    }

    /** Lines 1 to 6 follow the plan's six source steps (with pre-copy), line 7 the VM's stop, line 8 the sending. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8})
    void aUserCancelReturnsEveryDeviceToRunning(int cancelAt) throws Exception {
        MigrationResult[] r = migrate(cancelAt, null);
        assertEquals("aborted", r[0].outcome(), r[0].reason());
        assertEquals("the user cancelled", r[0].reason());
        assertEquals("refused", r[1].outcome());
    }

    /**
     * A policy on the destination asks to cancel (under {@code abort-migration}, an access to a device still
     * RESUMING): the destination refuses instead of replying OK, and the source resumes with nothing lost.
     */
    @Test
    void aCancelAskedOnTheDestinationRefusesAndTheSourceResumes() throws Exception {
        String why = "write 0000:02:00.0 BAR 0+0x8/8 by nvme (target RESUMING): decided ABORT_MIGRATION";
        MigrationResult[] r = migrate(-1, why);
        assertEquals("refused", r[1].outcome());
        assertEquals("cancelled on the destination: " + why, r[1].reason());
        assertEquals("aborted", r[0].outcome(), r[0].reason());
        assertTrue(r[0].reason().contains(why), r[0].reason());
        assertEquals(0, r[0].queuedCarried(), "nothing counts as carried to a destination that refused");
    }
}
