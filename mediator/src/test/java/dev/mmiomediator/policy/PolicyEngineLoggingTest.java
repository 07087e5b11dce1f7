package dev.mmiomediator.policy;

import dev.mmiomediator.vfio.sim.SimulatedP2pTarget;
import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciBar;
import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WARN lines, read from what slf4j-simple (the test binding) prints on standard error: one per device without P2P
 * when it is registered, one per (initiator, BAR) for failed accesses, one per full queue; never one per access.
 */
class PolicyEngineLoggingTest {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void capture() {
        original = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(original);
        System.err.print(captured.toString(StandardCharsets.UTF_8));
    }

    private List<String> warnings(String containing) {
        return lines("WARN", containing);
    }

    private List<String> infos(String containing) {
        return lines("INFO", containing);
    }

    private List<String> lines(String level, String containing) {
        return Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(l -> l.contains(level) && l.contains(containing)).toList();
    }

    @Test
    void aDeviceWithoutP2pIsReportedOnceWhenRegistered() {
        SimulatedPassthroughDevice gpu = new SimulatedPassthroughDevice(GPU, MigrationFlags.STOP_COPY_ONLY,
                new PciBar(0, 0x1000));
        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000));
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("f").otherwise(Decision.FAIL).build(),
                MigrationControl.NONE);
        e.register(gpu.device(), SimulatedP2pTarget.of(gpu));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        List<String> lines = infos("lacks P2P migration states");
        assertEquals(1, lines.size(), captured.toString(StandardCharsets.UTF_8));
        assertEquals(true, lines.get(0).contains("- device 0000:02:00.0 lacks P2P migration states "), lines.get(0));
        assertEquals(List.of(), warnings(""), "the plan states it; the engine's line is not a warning");
    }

    @Test
    void aLineStartsWithTheSideTheCallerNamed() {
        SimulatedPassthroughDevice gpu = new SimulatedPassthroughDevice(GPU, MigrationFlags.STOP_COPY_ONLY,
                new PciBar(0, 0x1000));
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("f").otherwise(Decision.FAIL).build(),
                MigrationControl.NONE);
        try (EngineLog.Scope s = EngineLog.side("destination")) {
            e.register(gpu.device(), SimulatedP2pTarget.of(gpu));
        }
        List<String> lines = infos("lacks P2P migration states");
        assertEquals(1, lines.size(), captured.toString(StandardCharsets.UTF_8));
        assertEquals(true, lines.get(0).contains("- destination: device 0000:02:00.0 lacks P2P"), lines.get(0));
    }

    @Test
    void failedAccessesAreReportedOncePerInitiatorAndBar() {
        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000), new PciBar(2, 0x1000));
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("f").otherwise(Decision.FAIL).build(),
                MigrationControl.NONE);
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        Initiator nvme = Initiator.softwareDevice("nvme");
        for (int i = 0; i < 100; i++) {
            e.handle(write(VIRTIO, NIC, 0, 8L * i, 8));
            e.handle(read(VIRTIO, NIC, 0, 8L * i, 8));
            e.handle(write(nvme, NIC, 0, 8L * i, 8));
            e.handle(write(VIRTIO, NIC, 2, 8L * i, 8));
        }
        List<String> lines = infos("P2P access master-aborted");
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertEquals(1, lines.stream().filter(l -> l.contains("BAR 0") && l.contains("by virtio-net")).count());
        assertEquals(1, lines.stream().filter(l -> l.contains("BAR 0") && l.contains("by nvme")).count());
        assertEquals(1, lines.stream().filter(l -> l.contains("BAR 2") && l.contains("by virtio-net")).count());
        assertEquals(400, e.counters().total(PolicyCounters.Counter.FAILED));
    }

    @Test
    void aFullQueueIsReportedOnce() {
        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000));
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("q").otherwise(Decision.QUEUE).build(),
                MigrationControl.NONE, new PolicyEngine.Settings(2, Duration.ofMillis(1)));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        for (int i = 0; i < 10; i++) {
            e.handle(write(VIRTIO, NIC, 0, 0, 4));
        }
        assertEquals(1, warnings("P2P write queue of 0000:01:00.0 is full (2 writes)").size());
        assertEquals(2, e.heldCount(NIC));
        assertEquals(8, e.counters().total(PolicyCounters.Counter.ERRORS), "8 writes timed out waiting for room");
    }

    @Test
    void aQueueThatDrainedIsReportedFullAgain() {
        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000));
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("q").otherwise(Decision.QUEUE).build(),
                MigrationControl.NONE, new PolicyEngine.Settings(2, Duration.ofMillis(1)));
        e.register(nic.device(), SimulatedP2pTarget.of(nic));
        for (int round = 0; round < 2; round++) {
            nic.device().transition(MigrationState.STOP);
            for (int i = 0; i < 3; i++) {
                e.handle(write(VIRTIO, NIC, 0, 0, 4));
            }
            nic.device().transition(MigrationState.RUNNING);
            assertEquals(0, e.heldCount(NIC));
        }
        assertEquals(2, warnings("P2P write queue of 0000:01:00.0 is full").size());
    }

    @Test
    void aFailedReplayIsReportedWithTheWriteAndTheNumberBehindIt() {
        SimulatedPassthroughDevice nic = new SimulatedPassthroughDevice(NIC, MigrationFlags.ALL,
                new PciBar(0, 0x1000));
        nic.device().transition(MigrationState.STOP);
        PolicyEngine e = new PolicyEngine(RulePolicy.builder("q").otherwise(Decision.QUEUE).build(),
                MigrationControl.NONE);
        e.register(nic.device(), new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                throw new IllegalStateException("device busy");
            }
        });
        for (int i = 0; i < 3; i++) {
            e.handle(write(VIRTIO, NIC, 0, 4L * i, 4));
        }
        nic.device().transition(MigrationState.RUNNING);
        List<String> lines = warnings("replaying held write");
        assertEquals(1, lines.size(), captured.toString(StandardCharsets.UTF_8));
        assertEquals(true, lines.get(0).contains("replaying held write #0 virtio-net -> 0000:01:00.0 BAR 0+0x0/4 "
                + "to 0000:01:00.0"), lines.get(0));
        assertEquals(true, lines.get(0).contains("it and the 2 writes behind it stay held: "
                + "java.lang.IllegalStateException: device busy"), lines.get(0));
    }
}
