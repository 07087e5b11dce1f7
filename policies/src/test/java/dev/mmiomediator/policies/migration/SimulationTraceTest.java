package dev.mmiomediator.policies.migration;

import dev.mmiomediator.migration.MigrationOutcome;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.sim.GuestMap;
import dev.mmiomediator.migration.sim.Simulation;
import dev.mmiomediator.policies.AbortMigrationPolicy;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.trace.TraceEvent;
import dev.mmiomediator.trace.TraceRecorder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the two migration sides and their engines tell their trace listeners, against the run's own report: the
 * replays and carried writes add up to its counts, the aborts asked to its count, the stream the source sent is the
 * one the destination received, and the VM stops before the stream is sent.
 */
class SimulationTraceTest {
    private static final long SEED = Long.getLong("mmio.random.seed", 7);

    private record Traced(Simulation.Run run, List<TraceEvent> source, List<TraceEvent> destination) {
    }

    private static Traced run(P2pPolicy policy) throws InterruptedException {
        System.out.println("SimulationTraceTest " + policy.name() + ": seed " + SEED);
        Topology topology = TopologyParser.defaultVm();
        TraceRecorder source = new TraceRecorder("source");
        TraceRecorder destination = new TraceRecorder("destination");
        Simulation.Run r = Simulation.run(topology, GuestMap.planned(topology), policy.name(), policy,
                Simulation.Settings.defaults(SEED), line -> { }, source, destination);
        return new Traced(r, source.events(), destination.events());
    }

    private static <T extends TraceEvent> List<T> of(Class<T> kind, List<TraceEvent> events) {
        return events.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    @Test
    void aCompletedMigrationsEventsAddUpToItsReport() throws InterruptedException {
        Traced t = run(new QueueAndReplayPolicy());
        assertEquals(MigrationOutcome.COMPLETED, t.run().outcome(), t.run().reason());
        long replayed = of(TraceEvent.Replayed.class, t.source()).stream().mapToLong(TraceEvent.Replayed::writes).sum()
                + of(TraceEvent.Replayed.class, t.destination()).stream().mapToLong(TraceEvent.Replayed::writes).sum();
        assertEquals(t.run().replayed(), replayed, "replays, both sides");
        assertEquals(t.run().carried(), of(TraceEvent.Carried.class, t.source()).stream()
                .mapToLong(TraceEvent.Carried::writes).sum(), "writes the source carried");
        assertEquals(t.run().carried(), of(TraceEvent.Carried.class, t.destination()).stream()
                .mapToLong(TraceEvent.Carried::writes).sum(), "writes the destination imported");

        TraceEvent.Stream sent = of(TraceEvent.Stream.class, t.source()).get(0);
        TraceEvent.Stream received = of(TraceEvent.Stream.class, t.destination()).get(0);
        assertTrue(sent.sent() && !received.sent());
        assertEquals(sent.bytes(), received.bytes());
        assertEquals(sent.sections(), received.sections());
        assertEquals(t.run().carried(), (long) sent.sections().get("queued-writes"));

        TraceEvent.Vm stopped = of(TraceEvent.Vm.class, t.source()).get(0);
        assertTrue(!stopped.running() && stopped.micros() <= sent.micros(), "the VM stops before the stream: "
                + stopped + ", " + sent);
        assertEquals("completed", of(TraceEvent.Ended.class, t.source()).get(0).outcome());
        assertEquals("completed", of(TraceEvent.Ended.class, t.destination()).get(0).outcome());
        assertEquals(1, of(TraceEvent.Downtime.class, t.source()).size());
        assertEquals(List.of("SOURCE_PRE_COPY", "SOURCE_STOPPING", "SOURCE_STOP_COPY", "NONE"),
                of(TraceEvent.Phase.class, t.source()).stream().map(TraceEvent.Phase::phase).toList());
    }

    @Test
    void anAbortedMigrationShowsEveryAbortAskedAndTheCancel() throws InterruptedException {
        Traced t = run(new AbortMigrationPolicy());
        assertEquals(MigrationOutcome.ABORTED, t.run().outcome(), t.run().reason());
        assertEquals(t.run().aborts(), of(TraceEvent.AbortRequested.class, t.source()).size()
                + of(TraceEvent.AbortRequested.class, t.destination()).size(), "abort requests, both sides");
        List<TraceEvent.Cancelled> cancels = of(TraceEvent.Cancelled.class, t.source());
        assertEquals(1, cancels.size());
        assertEquals(t.run().reason(), cancels.get(0).reason());
        assertTrue(of(TraceEvent.AbortRequested.class, t.source()).get(0).micros() <= cancels.get(0).micros());
        assertEquals("aborted", of(TraceEvent.Ended.class, t.source()).get(0).outcome());
        assertEquals(t.run().replayed(), of(TraceEvent.Replayed.class, t.source()).stream()
                .mapToLong(TraceEvent.Replayed::writes).sum(), "the held writes replayed on the way back");
    }
}
