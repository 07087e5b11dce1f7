package dev.mmiomediator.policy;

import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.trace.TraceEvent;
import dev.mmiomediator.trace.TraceListener;
import dev.mmiomediator.trace.TraceRecorder;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the engine tells its trace listener: each access with the state and decision, aborts, replays, phases. */
class PolicyEngineTraceTest {
    /** Forward while the target accepts, queue writes while it does not, abort on reads while it does not. */
    private static final P2pPolicy POLICY = RulePolicy.builder("trace-test")
            .when(Rule.any().targetAccepts()).then(Decision.FORWARD)
            .when(Rule.any().writes()).then(Decision.QUEUE)
            .otherwise(Decision.ABORT_MIGRATION).build();

    private final SimulatedPassthroughDevice nic =
            new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL, new PciBar(0, 0x1000));
    private final List<String> aborts = new ArrayList<>();
    private final PolicyEngine engine = new PolicyEngine(POLICY, aborts::add);

    PolicyEngineTraceTest() {
        engine.register(nic.device(), SimulatedP2pTarget.of(nic));
    }

    private static <T extends TraceEvent> List<T> of(Class<T> kind, List<TraceEvent> events) {
        return events.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    @Test
    void eachAccessIsReportedWithTheStateTheDecisionAndTheResult() {
        TraceRecorder recorder = new TraceRecorder("test");
        engine.setTraceListener(recorder);
        assertEquals(MemTxResult.P2P_FORWARDED, engine.handle(write(VIRTIO, NIC, 0, 0x10, 4)));
        nic.device().transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_QUEUED, engine.handle(write(VIRTIO, NIC, 0, 0x18, 8)));

        List<TraceEvent.P2p> p2p = of(TraceEvent.P2p.class, recorder.events());
        assertEquals(List.of(
                new TraceEvent.P2p(p2p.get(0).micros(), "virtio-net", NIC, 0, 0x10, 4, true, MigrationState.RUNNING,
                        "FORWARD", MemTxResult.P2P_FORWARDED),
                new TraceEvent.P2p(p2p.get(1).micros(), "virtio-net", NIC, 0, 0x18, 8, true, MigrationState.STOP,
                        "QUEUE", MemTxResult.P2P_QUEUED)), p2p);
        assertTrue(p2p.get(0).micros() <= p2p.get(1).micros(), "in time order: " + p2p);
    }

    @Test
    void aReplayIsReportedWithItsCountInsideTheTransition() {
        TraceRecorder recorder = new TraceRecorder("test");
        engine.setTraceListener(recorder);
        nic.device().transition(MigrationState.STOP);
        engine.handle(write(VIRTIO, NIC, 0, 0x10, 4));
        engine.handle(write(VIRTIO, NIC, 0, 0x20, 4));
        nic.device().transition(MigrationState.RUNNING);

        assertEquals(List.of(2), of(TraceEvent.Replayed.class, recorder.events()).stream()
                .map(TraceEvent.Replayed::writes).toList());
        assertEquals(NIC, of(TraceEvent.Replayed.class, recorder.events()).get(0).device());
    }

    @Test
    void anAbortRequestIsReportedBeforeItsAccess() throws InterruptedException {
        TraceRecorder recorder = new TraceRecorder("test");
        engine.setTraceListener(recorder);
        nic.device().transition(MigrationState.STOP);
        P2pAccess r = read(VIRTIO, NIC, 0, 0x10, 4);
        Thread reader = new Thread(() -> engine.handle(r));
        reader.start();
        while (aborts.isEmpty()) {
            Thread.onSpinWait(); // the read waits for the target after asking to abort
        }
        nic.device().transition(MigrationState.RUNNING);
        reader.join(10_000);

        List<TraceEvent> events = recorder.events();
        TraceEvent.AbortRequested abort = of(TraceEvent.AbortRequested.class, events).get(0);
        assertEquals(aborts.get(0), abort.reason());
        TraceEvent.P2p access = of(TraceEvent.P2p.class, events).get(0);
        assertEquals("FORWARD", access.decision(), "the last attempt, once the target accepted, forwarded it");
        assertEquals(MemTxResult.P2P_ABORT_MIGRATION | MemTxResult.P2P_FORWARDED, access.result());
        assertTrue(events.indexOf(abort) < events.indexOf(access), events.toString());
    }

    @Test
    void phasesAreReportedOncePerChange() {
        TraceRecorder recorder = new TraceRecorder("test");
        engine.setTraceListener(recorder);
        engine.setPhase(MigrationPhase.SOURCE_STOPPING);
        engine.setPhase(MigrationPhase.SOURCE_STOPPING);
        engine.setPhase(MigrationPhase.SOURCE_STOP_COPY);
        assertEquals(List.of("SOURCE_STOPPING", "SOURCE_STOP_COPY"),
                of(TraceEvent.Phase.class, recorder.events()).stream().map(TraceEvent.Phase::phase).toList());
    }

    @Test
    void aListenerThatThrowsChangesNoResult() {
        engine.setTraceListener(new TraceListener() {
            @Override
            public void p2pAccess(P2pAccess access, MigrationState state, String decision, int result) {
                throw new IllegalStateException("listener bug");
            }
        });
        assertEquals(MemTxResult.P2P_FORWARDED, engine.handle(write(VIRTIO, NIC, 0, 0x10, 4)));
        assertEquals(1, engine.counters().get("virtio-net", NIC, PolicyCounters.Counter.FORWARDED));
    }

    @Test
    void noListenerAfterItIsRemoved() {
        TraceRecorder recorder = new TraceRecorder("test");
        engine.setTraceListener(recorder);
        engine.handle(write(VIRTIO, NIC, 0, 0x10, 4));
        engine.setTraceListener(null);
        engine.handle(write(VIRTIO, NIC, 0, 0x10, 4));
        assertEquals(1, recorder.events().size());
    }

    @Test
    void theRecorderKeepsAtMostItsBoundOfAccessesAndCountsTheRest() {
        TraceRecorder recorder = new TraceRecorder("test", 3);
        engine.setTraceListener(recorder);
        for (int i = 0; i < 5; i++) {
            engine.handle(write(VIRTIO, NIC, 0, 8L * i, 8));
        }
        engine.setPhase(MigrationPhase.SOURCE_STOPPING);
        assertEquals(3, of(TraceEvent.P2p.class, recorder.events()).size());
        assertEquals(2, recorder.droppedP2p());
        assertEquals(1, of(TraceEvent.Phase.class, recorder.events()).size(), "other events are still kept");
    }
}
