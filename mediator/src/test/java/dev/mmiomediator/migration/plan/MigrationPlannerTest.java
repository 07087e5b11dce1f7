package dev.mmiomediator.migration.plan;

import static dev.mmiomediator.vfio.MigrationState.PRE_COPY_P2P;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationFsm;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.pci.PciAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The planner's order, paths, questions to the policy, verdicts and QEMU's verdict, with a recording policy. */
class MigrationPlannerTest {
    static final PciAddress A = PciAddress.parse("0000:01:00.0");

    /** Queues writes and aborts reads to a target that does not accept; records every request. */
    static final class Recording implements P2pPolicy {
        final List<P2pRequest> asked = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public String description() {
            return "test";
        }

        @Override
        public Decision decide(P2pRequest r) {
            asked.add(r);
            return r.targetAccepts() ? Decision.FORWARD : r.write() ? Decision.QUEUE : Decision.ABORT_MIGRATION;
        }
    }

    static Topology topology(String devices) {
        return TopologyParser.parse(devices + "\nsoftware virtio-net\n", "t");
    }

    static String line(String name, int bus, String flags) {
        return "passthrough " + name + " 0000:0" + bus + ":00.0 flags=" + flags + " bars=0:4K\n";
    }

    static String paths(List<Step> steps) {
        return steps.stream().map(s -> s.phase() + " " + s.device().bus() + " " + MigrationFsm.format(s.path()))
                .collect(Collectors.joining("\n"));
    }

    static MigrationPlan plan(Topology t, boolean preCopy) {
        return MigrationPlanner.plan(t, "recording", new Recording(), preCopy);
    }

    @Test
    void aStopCopyOnlyDeviceGoesStraightToStopCopyAndResumesThroughStop() {
        MigrationPlan p = plan(topology(line("a", 1, "STOP_COPY")), false);
        assertEquals("SOURCE_STOP_COPY 1 RUNNING -> STOP -> STOP_COPY", paths(p.source()));
        assertEquals("""
                DESTINATION_RESUMING 1 RUNNING -> STOP -> RESUMING
                DESTINATION_STARTING 1 RESUMING -> STOP -> RUNNING""", paths(p.destination()));
    }

    @Test
    void p2pDevicesAllReachRunningP2pBeforeAnyDeviceStops() {
        MigrationPlan p = plan(topology(line("a", 1, "STOP_COPY,P2P") + line("b", 2, "STOP_COPY")
                + line("c", 3, "STOP_COPY,P2P")), false);
        assertEquals("""
                SOURCE_STOPPING 1 RUNNING -> RUNNING_P2P
                SOURCE_STOPPING 3 RUNNING -> RUNNING_P2P
                SOURCE_STOP_COPY 1 RUNNING_P2P -> STOP -> STOP_COPY
                SOURCE_STOP_COPY 2 RUNNING -> STOP -> STOP_COPY
                SOURCE_STOP_COPY 3 RUNNING_P2P -> STOP -> STOP_COPY""", paths(p.source()));
        assertEquals("""
                DESTINATION_RESUMING 1 RUNNING -> RUNNING_P2P -> STOP -> RESUMING
                DESTINATION_RESUMING 2 RUNNING -> STOP -> RESUMING
                DESTINATION_RESUMING 3 RUNNING -> RUNNING_P2P -> STOP -> RESUMING
                DESTINATION_STARTING 1 RESUMING -> STOP -> RUNNING_P2P
                DESTINATION_STARTING 3 RESUMING -> STOP -> RUNNING_P2P
                DESTINATION_STARTING 1 RUNNING_P2P -> RUNNING
                DESTINATION_STARTING 2 RESUMING -> STOP -> RUNNING
                DESTINATION_STARTING 3 RUNNING_P2P -> RUNNING""", paths(p.destination()));
    }

    @Test
    void preCopyRunsFirstAndPreCopyDevicesQuiesceToPreCopyP2p() {
        MigrationPlan p = plan(topology(line("a", 1, "STOP_COPY,P2P,PRE_COPY") + line("b", 2, "STOP_COPY,PRE_COPY")
                + line("c", 3, "STOP_COPY,P2P")), true);
        assertEquals("""
                SOURCE_PRE_COPY 1 RUNNING -> PRE_COPY
                SOURCE_PRE_COPY 2 RUNNING -> PRE_COPY
                SOURCE_STOPPING 1 PRE_COPY -> PRE_COPY_P2P
                SOURCE_STOPPING 3 RUNNING -> RUNNING_P2P
                SOURCE_STOP_COPY 1 PRE_COPY_P2P -> STOP_COPY
                SOURCE_STOP_COPY 2 PRE_COPY -> STOP_COPY
                SOURCE_STOP_COPY 3 RUNNING_P2P -> STOP -> STOP_COPY""", paths(p.source()));
        assertEquals(PRE_COPY_P2P, p.source().get(2).target());
    }

    @Test
    void everyStepsPathIsTheKernelsForEveryFlagSetAndBothPreCopyChoices() {
        for (MigrationFlags f : MigrationFlags.uapiFlagSets()) {
            for (boolean preCopy : new boolean[] {false, true}) {
                MigrationPlan p = plan(topology(line("a", 1, f.toString())), preCopy);
                MigrationState at = RUNNING;
                for (Step s : p.source()) {
                    assertEquals(MigrationFsm.path(f, at, s.target()), s.path(), f + " " + s);
                    at = s.target();
                }
                assertEquals(STOP_COPY, at);
                at = RUNNING;
                for (Step s : p.destination()) {
                    assertEquals(MigrationFsm.path(f, at, s.target()), s.path(), f + " " + s);
                    at = s.target();
                }
                assertEquals(RUNNING, at);
            }
        }
    }

    @Test
    void thePolicyIsAskedAboutEveryNonAcceptingStateWithThePhaseOfItsStep() {
        Recording policy = new Recording();
        MigrationPlan p = MigrationPlanner.plan(topology(line("a", 1, "STOP_COPY,P2P") + line("b", 2, "STOP_COPY")),
                "recording", policy, false);
        Set<String> asked = policy.asked.stream().filter(r -> !r.targetAccepts())
                .map(r -> r.phase() + " " + r.targetState() + " " + r.device().bus() + (r.write() ? " w" : " r")
                        + " " + r.access().initiator().id() + " " + r.targetSupportsP2p())
                .collect(Collectors.toSet());
        assertEquals(Set.of("SOURCE_STOP_COPY STOP 2 w virtio-net false", "SOURCE_STOP_COPY STOP 2 r virtio-net false",
                "SOURCE_STOP_COPY STOP_COPY 2 w virtio-net false", "SOURCE_STOP_COPY STOP_COPY 2 r virtio-net false",
                "DESTINATION_RESUMING STOP 2 w virtio-net false", "DESTINATION_RESUMING STOP 2 r virtio-net false",
                "DESTINATION_RESUMING RESUMING 2 w virtio-net false",
                "DESTINATION_RESUMING RESUMING 2 r virtio-net false",
                "DESTINATION_STARTING RESUMING 2 w virtio-net false",
                "DESTINATION_STARTING RESUMING 2 r virtio-net false",
                "DESTINATION_STARTING STOP 2 w virtio-net false", "DESTINATION_STARTING STOP 2 r virtio-net false"),
                asked);
        assertEquals(1, p.handling().size());
        DeviceHandling h = p.handling().get(0);
        assertEquals(PciAddress.parse("0000:02:00.0"), h.device());
        assertEquals(Map.of("write", Decision.QUEUE, "read", Decision.ABORT_MIGRATION), h.whileStopped());
        assertEquals(Map.of("write", Decision.QUEUE, "read", Decision.ABORT_MIGRATION), h.whileResuming());
        assertTrue(h.summary().contains("write -> queued and replayed exactly once when it runs again"), h.summary());
        assertTrue(h.summary().contains("read -> cancels the migration; the access completes once the device runs "
                + "again"), h.summary());
        assertEquals(Verdict.ALLOWED, p.verdict());
        assertTrue(p.reasons().get(0).startsWith("0000:02:00.0 (b) lacks P2P: DMA from virtio-net into its BARs "
                + "while it is stopped (or resuming on the destination): write -> queued"), p.reasons().toString());
    }

    @Test
    void aDeviceWithoutStopCopyBlocksTheMigrationAndGetsNoStep() {
        MigrationPlan p = plan(topology(line("a", 1, "STOP_COPY,P2P") + line("b", 2, "P2P")), false);
        assertEquals(Verdict.BLOCKED, p.verdict());
        assertEquals(List.of("0000:02:00.0 (b) has no STOP_COPY flag (flags P2P): it has no VFIO migration "
                + "support, so the VM cannot migrate while it is attached"), p.reasons());
        assertTrue(p.source().stream().noneMatch(s -> s.device().bus() == 2));
        assertEquals(new QemuVerdict(false, "0000:02:00.0: Migration couldn't be initialized for VFIO device, "
                + "err: -95 (Operation not supported)"), p.qemu());
    }

    @Test
    void qemuBlocksSeveralDevicesUnlessAllHaveP2pAndCountsOnlyMigratableOnes() {
        assertEquals(new QemuVerdict(false, QemuVerdict.MULTIPLE_DEVICES_MESSAGE),
                QemuVerdict.of(TopologyParser.defaultVm()));
        assertEquals(new QemuVerdict(true, "allowed: a single VFIO device needs no P2P"),
                QemuVerdict.of(topology(line("a", 1, "STOP_COPY"))));
        assertEquals(new QemuVerdict(true, "allowed: all 2 VFIO devices support P2P migration"),
                QemuVerdict.of(topology(line("a", 1, "STOP_COPY,P2P") + line("b", 2, "STOP_COPY,P2P"))));
        QemuVerdict q = QemuVerdict.of(topology(line("a", 1, "STOP_COPY") + line("b", 2, "none")));
        assertEquals(List.of("0000:02:00.0: VFIO migration is not supported in kernel"), q.blockers());
        assertFalse(q.allowed());
    }

    @Test
    void aPlanThatQemuWouldBlockSaysSoEvenWhenThePolicyAllowsIt() {
        MigrationPlan p = plan(TopologyParser.defaultVm(), false);
        assertEquals(Verdict.ALLOWED, p.verdict());
        assertTrue(p.reasons().stream().anyMatch(r -> r.startsWith("QEMU 8.2 alone would block this configuration: \""
                + QemuVerdict.MULTIPLE_DEVICES_MESSAGE + "\"")), p.reasons().toString());
    }

    @Test
    void theWordsForEachDecision() {
        assertEquals("would be refused (policy bug)", MigrationPlanner.words(Decision.FORWARD, true));
        assertEquals("lost: writes dropped, reads all-ones (master abort)", MigrationPlanner.words(Decision.FAIL, false));
        assertEquals("queued and replayed exactly once when it runs again (carried to the destination if the "
                + "migration completes)", MigrationPlanner.words(Decision.QUEUE, true));
        assertEquals("would be refused (policy bug: a read cannot be queued)",
                MigrationPlanner.words(Decision.QUEUE, false));
        assertEquals("cancels the migration; the access completes once the device runs again",
                MigrationPlanner.words(Decision.ABORT_MIGRATION, true));
    }
}
