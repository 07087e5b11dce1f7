package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.DestinationMigration;
import dev.mmiomediator.migration.MigrationChannel;
import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.MigrationResult;
import dev.mmiomediator.migration.SourceMigration;
import dev.mmiomediator.migration.VmHooks;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.migration.sim.VmImage;
import dev.mmiomediator.migration.sim.WriteLedger;
import dev.mmiomediator.policies.AbortMigrationPolicy;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The in-memory transport: a whole migration through {@link MigrationChannel#inMemoryPair()}, a user cancel at
 * every point of the source's run up to sending the stream, and a cancel the destination's own policy asks for when
 * the destination's DMA meets a device still RESUMING.
 */
class InMemoryMigrationTest {
    private static final Topology VM = TopologyParser.defaultVm();

    /** How long a destination holds its devices RESUMING after starting its DMA, at most, for its policy to cancel. */
    private static final Duration HOLD = Duration.ofSeconds(10);

    private record Outcome(MigrationResult sent, MigrationResult got, SimulatedVm source, SimulatedVm destination) {
    }

    /**
     * The source runs {@code queue-and-replay} (so it holds writes when it sends).
     *
     * @param cancelAt 0: cancel before the run; n: at the source's n-th progress line; -1: never
     * @param destinationPolicy the destination's policy, with the destination holding its devices RESUMING after its
     *                          DMA started until that policy asks to cancel (at most {@link #HOLD}); null: the
     *                          source's policy, no hold
     */
    private static Outcome migrate(int cancelAt, P2pPolicy destinationPolicy) throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        P2pPolicy inPolicy = destinationPolicy != null ? destinationPolicy : policy;
        MigrationPlan inPlan = MigrationPlanner.plan(VM, inPolicy.name(), inPolicy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort,
                PolicyEngine.Settings.DEFAULT, 21);
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, inPolicy, destinationAbort,
                PolicyEngine.Settings.DEFAULT, 22);
        VmHooks inHooks = destinationPolicy == null ? destination.hooks()
                : destination.hooksHoldingResume(HOLD, destinationAbort);
        MigrationChannel[] pair = MigrationChannel.inMemoryPair();
        CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> new DestinationMigration(
                VM.vm(), destination.passthroughDevices(), destination.engine(), inPlan, inHooks, destinationAbort,
                DestinationMigration.Settings.DEFAULT, line -> { }).run(pair[1]));
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
        if (!sent.completed() && destinationPolicy == null) {
            destination.devices().values().forEach(d -> assertEquals(MigrationState.RUNNING, d.device().state()));
            assertEquals(destination.blankImage(), destination.actualImage(), "the destination changed");
        }
        return new Outcome(sent, got, source, destination);
    }

    @Test
    void aWholeMigrationInMemory() throws Exception {
        Outcome o = migrate(-1, null);
        assertEquals(MigrationOutcome.COMPLETED, o.sent().outcome(), o.sent().reason());
        assertEquals(MigrationOutcome.COMPLETED, o.got().outcome(), o.got().reason());
        assertEquals(o.sent().queuedCarried(), o.got().queuedCarried());
    }

    /** Lines 1 to 6 follow the plan's six source steps (with pre-copy), line 7 the VM's stop, line 8 the sending. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8})
    void aUserCancelReturnsEveryDeviceToRunning(int cancelAt) throws Exception {
        Outcome o = migrate(cancelAt, null);
        assertEquals(MigrationOutcome.ABORTED, o.sent().outcome(), o.sent().reason());
        assertEquals("the user cancelled", o.sent().reason());
        assertEquals(MigrationOutcome.REFUSED, o.got().outcome());
    }

    /**
     * The destination runs {@code abort-migration}: its software devices, started before its devices (as
     * {@link DestinationMigration} does), write into a device still RESUMING; the policy asks to cancel; the
     * destination refuses instead of replying OK; the source resumes with every write it held replayed there, and
     * nothing counts as carried. Deterministic: the destination holds its devices RESUMING until its policy asked
     * (at most {@link #HOLD}), so the DMA meets them.
     */
    @Test
    void aDestinationPolicyCancelsWhenTheDestinationsDmaMeetsADeviceStillResuming() throws Exception {
        Outcome o = migrate(-1, new AbortMigrationPolicy());
        MigrationResult sent = o.sent();
        MigrationResult got = o.got();
        assertEquals(MigrationOutcome.REFUSED, got.outcome(), got.reason());
        String prefix = "cancelled on the destination: policy 'abort-migration': write ";
        assertTrue(got.reason().startsWith(prefix), got.reason());
        assertTrue(got.reason().matches(".* by (virtio-net|nvme) \\(target RESUMING, .*decided ABORT_MIGRATION"),
                got.reason());
        assertTrue(o.destination().engine().counters().total(PolicyCounters.Counter.ABORTS) > 0);
        assertEquals(MigrationOutcome.ABORTED, sent.outcome(), sent.reason());
        assertTrue(sent.reason().endsWith("refused: " + got.reason()), sent.reason());
        assertEquals(0, sent.queuedCarried(), "nothing counts as carried to a destination that refused");

        // the source: RUNNING (checked in migrate, with its image and every accepted write taken once, by identity),
        // and what it held replayed there
        PolicyCounters counters = o.source().engine().counters();
        assertTrue(counters.total(PolicyCounters.Counter.QUEUED) > 0, "the source held nothing: the replay on "
                + "cancel was not tested");
        assertEquals(counters.total(PolicyCounters.Counter.QUEUED), counters.total(PolicyCounters.Counter.REPLAYED));
        assertEquals(0, counters.total(PolicyCounters.Counter.CARRIED));
        o.source().devices().keySet().forEach(d -> assertEquals(0, o.source().engine().heldCount(d), d.toString()));

        // the destination: refused (above), every device RUNNING and reset, holding nothing of the source: no write
        // of a source initiator (odd ids) in any device's ledger, the source's states gone from the BARs
        o.destination().devices().values().forEach(d -> assertEquals(MigrationState.RUNNING, d.device().state()));
        o.destination().takenIdentities().forEach((device, taken) -> {
            for (long id : taken) {
                assertEquals(0, (id >>> 48) & 1, device + " kept write 0x" + Long.toHexString(id) + " of the source");
            }
        });
    }
}
