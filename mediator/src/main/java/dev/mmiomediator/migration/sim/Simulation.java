package dev.mmiomediator.migration.sim;

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
import dev.mmiomediator.migration.plan.Verdict;
import dev.mmiomediator.policy.EngineLog;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.trace.TraceListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One simulated migration of a {@link Topology}'s VM under one policy: a source and a destination
 * {@link SimulatedVm} in this process, the stream over a real loopback TCP socket, software devices doing DMA on
 * both sides from their own threads (into RAM and into P2P space) throughout, and a check of the result against
 * the software devices' own records: the memory of the side that ends up running (RAM and every BAR) must equal
 * the expected image, and the passthrough devices must have taken exactly the P2P writes the mediator accepted,
 * judged per write by identity ({@link WriteLedger}): none lost, none twice, none unasked.
 */
public final class Simulation {
    /** How the simulation is run. */
    public record Settings(long seed, Duration warmUp, Duration settle, Duration after,
                           PolicyEngine.Settings engine) {
        /** 100 ms of DMA before, a 100 ms window with every device stopped, 50 ms after; the engine's defaults. */
        public static Settings defaults(long seed) {
            return new Settings(seed, Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(50),
                    PolicyEngine.Settings.DEFAULT);
        }
    }

    /**
     * The report of one run.
     *
     * @param policy         the policy's name
     * @param outcome        {@link MigrationOutcome#COMPLETED}, {@link MigrationOutcome#ABORTED} or
     *                       {@link MigrationOutcome#BLOCKED}
     * @param reason         why not completed, or empty
     * @param p2pAccesses    P2P writes the software devices made (both sides)
     * @param forwarded      of which forwarded to the device at once
     * @param failed         of which master-aborted (the initiator was told; not lost)
     * @param queued         of which held for replay
     * @param replayed       held writes replayed (source and destination)
     * @param carried        held writes the stream carried to the destination
     * @param aborts         abort requests the policies made
     * @param taken          MMIO writes the running side's devices took, by their write ledgers (replays included)
     * @param lost           accepted P2P writes (by identity) their target device never took (must be 0)
     * @param duplicated     takes beyond the one each accepted write is owed, by identity: a second take, or a take
     *                       of a write never accepted for that device (must be 0)
     * @param unrecorded     writes the devices took while their ledger was full (must be 0 for the check to hold)
     * @param downtimeMillis from the first device stop to the destination's reply (0 if blocked)
     * @param imagesMatch    whether the running side's RAM and BARs equal the expected image, and every software
     *                       device's RAM DMA succeeded and read back its own last writes
     * @param sourcePaths    per device, the states it went through on the source
     * @param destinationPaths per device, the states it went through on the destination
     * @param plan           the plan (verdict and reasons)
     */
    public record Run(String policy, MigrationOutcome outcome, String reason, long p2pAccesses, long forwarded, long failed,
                      long queued, long replayed, long carried, long aborts, long taken, long lost,
                      long duplicated, long unrecorded, long downtimeMillis, boolean imagesMatch,
                      Map<PciAddress, List<MigrationState>> sourcePaths,
                      Map<PciAddress, List<MigrationState>> destinationPaths, MigrationPlan plan) {
        /** Whether every accepted P2P write landed exactly once (by identity) and the images match. */
        public boolean intact() {
            return lost == 0 && duplicated == 0 && unrecorded == 0 && imagesMatch;
        }
    }

    private Simulation() {
    }

    /**
     * Runs one migration of {@code topology} under {@code policy}, in the planner's layout ({@link GuestMap#planned}).
     *
     * @param progress receives one line per step of both sides
     */
    public static Run run(Topology topology, String policyName, P2pPolicy policy, Settings settings,
                          Consumer<String> progress) throws InterruptedException {
        return run(topology, GuestMap.planned(topology), policyName, policy, settings, progress);
    }

    /**
     * Runs one migration of {@code topology} under {@code policy}, both sides laid out as {@code map} says (a real
     * VM's RAM and BARs, say).
     *
     * @param progress receives one line per step of both sides
     */
    public static Run run(Topology topology, GuestMap map, String policyName, P2pPolicy policy, Settings settings,
                          Consumer<String> progress) throws InterruptedException {
        return run(topology, map, policyName, policy, settings, progress, null, null);
    }

    /**
     * As {@link #run(Topology, GuestMap, String, P2pPolicy, Settings, Consumer)}, reporting each side to its own trace
     * listener (null for none): the source's from its software devices' start, the destination's from its VM's
     * build. A blocked run reports nothing.
     */
    public static Run run(Topology topology, GuestMap map, String policyName, P2pPolicy policy, Settings settings,
                          Consumer<String> progress, TraceListener sourceTrace, TraceListener destinationTrace)
            throws InterruptedException {
        MigrationPlan plan = MigrationPlanner.plan(topology, policyName, policy);
        if (plan.verdict() == Verdict.BLOCKED) {
            progress.accept(policyName + ": blocked: " + String.join("; ", plan.reasons()));
            return new Run(policyName, MigrationOutcome.BLOCKED, String.join("; ", plan.reasons()), 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, true, Map.of(), Map.of(), plan);
        }
        AbortSwitch sourceAbort = new AbortSwitch();
        AbortSwitch destinationAbort = new AbortSwitch();
        SimulatedVm source = new SimulatedVm(topology, map, SoftwareDevice.Side.SOURCE, policy, sourceAbort,
                settings.engine(), settings.seed());
        SimulatedVm destination = new SimulatedVm(topology, map, SoftwareDevice.Side.DESTINATION, policy,
                destinationAbort, settings.engine(), settings.seed() + 1000);
        Consumer<String> tagged = line -> progress.accept(policyName + ": " + line);
        source.engine().setTraceListener(sourceTrace);
        destination.engine().setTraceListener(destinationTrace);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            source.startSoftware();
            TimeUnit.NANOSECONDS.sleep(settings.warmUp().toNanos());
            DestinationMigration in = new DestinationMigration(topology.vm(), destination.passthroughDevices(),
                    destination.engine(), plan, destination.hooks(), destinationAbort,
                    DestinationMigration.Settings.DEFAULT.withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(60)),
                    tagged);
            in.setTraceListener(destinationTrace);
            MigrationListener listener = new MigrationListener(server, MigrationListener.Handshake.NONE,
                    Duration.ofSeconds(10), 4, tagged);
            CompletableFuture<MigrationResult> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.serve(in, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while listening", e);
                }
            });
            SourceMigration out = new SourceMigration(topology.vm(), source.passthroughDevices(), source.engine(), plan,
                    source.hooks(), sourceAbort, SourceMigration.Settings.DEFAULT.withSettle(settings.settle())
                    .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(60)), tagged);
            out.setTraceListener(sourceTrace);
            MigrationResult sent;
            try {
                // the source's own replays run on this thread: the engine's lines name the side
                try (EngineLog.Scope side = EngineLog.side("source")) {
                    sent = out.run(MigrationChannel.connect(server.getInetAddress().getHostAddress(),
                            server.getLocalPort(), Duration.ofSeconds(30)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot connect to the destination on loopback", e);
            }
            if (!sent.completed()) {
                listener.stop("the source ended " + sent.outcome().word() + " (" + sent.reason() + ")");
            }
            MigrationResult got;
            try {
                got = received.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                got = new MigrationResult(MigrationOutcome.REFUSED, "destination failed: " + e, Map.of(), 0, 0, 0);
            }
            TimeUnit.NANOSECONDS.sleep(settings.after().toNanos());
            source.stopSoftware();
            destination.stopSoftware();
            boolean completed = sent.completed() && got.completed();
            SimulatedVm running = completed ? destination : source;
            VmImage expected = running.blankImage();
            source.paintExpected(expected);
            if (completed) {
                destination.paintExpected(expected);
            }
            VmImage actual = running.actualImage();
            boolean match = actual.equals(expected);
            if (!match) {
                tagged.accept("image mismatch: " + actual.firstDifference(expected));
            }
            WriteLedger.Check writes = completed ? running.checkWrites(source, destination)
                    : running.checkWrites(source);
            if (!writes.exact()) {
                tagged.accept("P2P writes: " + writes.lost() + " lost, " + writes.duplicated() + " duplicated, "
                        + writes.unrecorded() + " not recorded; e.g. " + writes.firstProblem());
            }
            PolicyCounters sc = source.engine().counters();
            PolicyCounters dc = destination.engine().counters();
            long p2p = 0;
            long forwarded = 0;
            long failed = 0;
            long queued = 0;
            long ramErrors = 0;
            for (SimulatedVm vm : List.of(source, destination)) {
                for (SoftwareDevice s : vm.software()) {
                    p2p += s.p2pWrites();
                    forwarded += s.forwarded();
                    failed += s.failed();
                    queued += s.queued();
                    ramErrors += s.ramErrors();
                }
            }
            // RAM DMA never meets a policy: a failed RAM write or a read-back that differs from the device's own
            // last write is corruption too
            if (ramErrors != 0) {
                tagged.accept("software devices saw " + ramErrors + " failed RAM writes or wrong read-backs");
                match = false;
            }
            MigrationOutcome outcome = completed ? MigrationOutcome.COMPLETED : MigrationOutcome.ABORTED;
            String reason = completed ? "" : !sent.reason().isEmpty() ? sent.reason() : got.reason();
            return new Run(policyName, outcome, reason, p2p, forwarded, failed, queued,
                    sc.total(PolicyCounters.Counter.REPLAYED) + dc.total(PolicyCounters.Counter.REPLAYED),
                    sc.total(PolicyCounters.Counter.CARRIED),
                    sc.total(PolicyCounters.Counter.ABORTS) + dc.total(PolicyCounters.Counter.ABORTS),
                    writes.taken(), writes.lost(), writes.duplicated(), writes.unrecorded(), sent.downtimeMillis(),
                    match, sent.paths(), got.paths(), plan);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a loopback socket for the destination", e);
        } finally {
            source.stopSoftware();
            destination.stopSoftware();
        }
    }
}
