package dev.mmiomediator.policies.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.migration.DestinationMigration;
import dev.mmiomediator.migration.MigrationChannel;
import dev.mmiomediator.migration.MigrationListener;
import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.MigrationResult;
import dev.mmiomediator.migration.SourceMigration;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.SimulatedVm;
import dev.mmiomediator.migration.sim.SoftwareDevice;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link MigrationListener} on its terms, in one process over loopback. */
class MigrationListenerTest {
    private static final Topology VM = TopologyParser.defaultVm();

    /**
     * A source whose header completes only after the listener gave up (its handshake step is slow) is answered
     * busy and never served: the listener's refusal stands, and the destination stays as it was.
     */
    @Test
    @Timeout(60)
    void aHeaderThatCompletesAfterTheListenDeadlineIsNotServed() throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(VM, SoftwareDevice.Side.SOURCE, policy, abort,
                PolicyEngine.Settings.DEFAULT, 41);
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, destinationAbort,
                PolicyEngine.Settings.DEFAULT, 42);
        ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        int port = server.getLocalPort();
        MigrationListener listener = new MigrationListener(server, (socket, timeout) -> {
            try {
                Thread.sleep(1_500); // past the 1 s listen deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return socket;
        }, Duration.ofSeconds(5), 4, line -> { });
        DestinationMigration in = new DestinationMigration(VM.vm(), destination.passthroughDevices(),
                destination.engine(), plan, destination.hooks(), destinationAbort, DestinationMigration.Settings.DEFAULT,
                line -> { });
        CompletableFuture<MigrationResult> served = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.serve(in, Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        source.startSoftware();
        MigrationResult sent = new SourceMigration(VM.vm(), source.passthroughDevices(), source.engine(), plan,
                source.hooks(), abort, SourceMigration.Settings.DEFAULT.withTimeouts(Duration.ofSeconds(10),
                Duration.ofSeconds(20)), line -> { }).run(MigrationChannel.connect("127.0.0.1", port,
                Duration.ofSeconds(5)));
        MigrationResult got = served.get(30, TimeUnit.SECONDS);
        TimeUnit.MILLISECONDS.sleep(200); // a connection thread that wrongly went on would be loading by now
        source.stopSoftware();
        destination.stopSoftware();
        assertEquals(MigrationOutcome.REFUSED, got.outcome(), got.reason());
        // the connection still in its handshake at the deadline is waited for, refused busy, and counted
        assertEquals("no source presented a valid stream header within 1 s (1 connections refused)", got.reason());
        assertEquals(MigrationOutcome.ABORTED, sent.outcome(), sent.reason());
        assertTrue(sent.reason().contains("refused: busy"), sent.reason());
        destination.devices().values().forEach(d -> assertEquals(java.util.List.of(MigrationState.RUNNING),
                java.util.List.of(d.device().state()), d.device().address().toString()));
        assertEquals("", destination.actualImage().firstDifference(destination.blankImage()),
                "the destination applied something after it refused");
    }

    /** {@code stop} ends a wait for a source at once, with a refusal that says why, and nothing applied. */
    @Test
    @Timeout(30)
    void stopEndsTheWaitForASourceAtOnce() throws Exception {
        QueueAndReplayPolicy policy = new QueueAndReplayPolicy();
        MigrationPlan plan = MigrationPlanner.plan(VM, policy.name(), policy, true);
        AbortSwitch abort = new AbortSwitch();
        SimulatedVm destination = new SimulatedVm(VM, SoftwareDevice.Side.DESTINATION, policy, abort,
                PolicyEngine.Settings.DEFAULT, 43);
        MigrationListener listener = new MigrationListener(new ServerSocket(0, 4, InetAddress.getLoopbackAddress()),
                MigrationListener.Handshake.NONE, Duration.ofSeconds(5), 4, line -> { });
        DestinationMigration in = new DestinationMigration(VM.vm(), destination.passthroughDevices(),
                destination.engine(), plan, destination.hooks(), abort, DestinationMigration.Settings.DEFAULT,
                line -> { });
        long start = System.nanoTime();
        CompletableFuture<MigrationResult> served = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.serve(in, Duration.ofSeconds(20));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        TimeUnit.MILLISECONDS.sleep(200);
        listener.stop("the source gave up");
        MigrationResult got = served.get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "stop did not end the 20 s wait");
        assertEquals(MigrationOutcome.REFUSED, got.outcome(), got.reason());
        assertTrue(got.reason().startsWith("stopped waiting for a source: the source gave up"), got.reason());
        assertEquals("", destination.actualImage().firstDifference(destination.blankImage()));
    }
}
