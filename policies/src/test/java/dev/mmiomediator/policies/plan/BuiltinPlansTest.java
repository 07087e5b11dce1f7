package dev.mmiomediator.policies.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.plan.DeviceHandling;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.QemuVerdict;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.migration.plan.Verdict;
import dev.mmiomediator.policies.AbortMigrationPolicy;
import dev.mmiomediator.policies.FailAlwaysPolicy;
import dev.mmiomediator.policies.QueueAndReplayPolicy;
import dev.mmiomediator.policies.RequireP2pPolicy;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.Policies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plan of each built-in, found by name, on the four configurations that matter. */
class BuiltinPlansTest {
    static final List<String> BUILTINS = List.of(FailAlwaysPolicy.NAME, AbortMigrationPolicy.NAME,
            QueueAndReplayPolicy.NAME, RequireP2pPolicy.NAME);
    static final String SOFTWARE = "software virtio-net\nsoftware nvme\n";
    static final Topology ALL_P2P = TopologyParser.parse("""
            passthrough nic 0000:01:00.0 flags=STOP_COPY,P2P bars=0:16K
            passthrough gpu 0000:02:00.0 flags=STOP_COPY,P2P bars=0:4M
            """ + SOFTWARE, "all-p2p");
    static final Topology ONE_LACKS_P2P = TopologyParser.defaultVm();
    static final Topology SINGLE = TopologyParser.parse(
            "passthrough fpga 0000:03:00.0 flags=STOP_COPY bars=0:64K\n" + SOFTWARE, "single");
    static final Topology NO_STOP_COPY = TopologyParser.parse("""
            passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P bars=0:16K
            passthrough fpga 0000:03:00.0 flags=P2P bars=0:64K
            """ + SOFTWARE, "no-stop-copy");

    static MigrationPlan plan(Topology t, String policy) {
        return plan(t, policy, Map.of());
    }

    static MigrationPlan plan(Topology t, String policy, Map<String, String> options) {
        return MigrationPlanner.plan(t, policy,
                Policies.create(policy, options, BuiltinPlansTest.class.getClassLoader()), false);
    }

    static Verdict verdict(Topology t, String policy) {
        return plan(t, policy).verdict();
    }

    @Test
    void thePlannerUsesRequireP2psNameAndQemusMessageVerbatim() {
        assertEquals(RequireP2pPolicy.NAME, MigrationPlanner.REQUIRE_P2P);
        assertEquals(RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE, QemuVerdict.MULTIPLE_DEVICES_MESSAGE);
    }

    @Test
    void everyBuiltinAllowsDevicesThatAllHaveP2pAndQemuAgrees() {
        for (String p : BUILTINS) {
            MigrationPlan plan = plan(ALL_P2P, p);
            assertEquals(Verdict.ALLOWED, plan.verdict(), p);
            assertEquals(List.of(), plan.handling(), p);
            assertTrue(plan.qemu().allowed(), p);
        }
    }

    @Test
    void whenOneDeviceLacksP2pOnlyRequireP2pBlocksLikeQemu() {
        assertEquals(Verdict.ALLOWED, verdict(ONE_LACKS_P2P, FailAlwaysPolicy.NAME));
        assertEquals(Verdict.ALLOWED, verdict(ONE_LACKS_P2P, AbortMigrationPolicy.NAME));
        assertEquals(Verdict.ALLOWED, verdict(ONE_LACKS_P2P, QueueAndReplayPolicy.NAME));
        MigrationPlan require = plan(ONE_LACKS_P2P, RequireP2pPolicy.NAME);
        assertEquals(Verdict.BLOCKED, require.verdict());
        assertEquals(List.of("require-p2p applies QEMU 8.2's rule: \"" + RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE
                + "\" (0000:03:00.0 (fpga) lacks P2P)"), require.reasons());
        assertEquals(new QemuVerdict(false, RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE), require.qemu());
    }

    @Test
    void eachBuiltinSaysWhatHappensToDmaIntoTheDeviceWithoutP2p() {
        assertEquals(Map.of("write", Decision.FAIL, "read", Decision.FAIL),
                handling(FailAlwaysPolicy.NAME, Map.of()).whileStopped());
        assertEquals(Map.of("write", Decision.ABORT_MIGRATION, "read", Decision.ABORT_MIGRATION),
                handling(AbortMigrationPolicy.NAME, Map.of()).whileStopped());
        assertEquals(Map.of("write", Decision.QUEUE, "read", Decision.ABORT_MIGRATION),
                handling(QueueAndReplayPolicy.NAME, Map.of()).whileResuming());
        assertEquals(Map.of("write", Decision.QUEUE, "read", Decision.FAIL),
                handling(QueueAndReplayPolicy.NAME, Map.of("read-fallback", "fail")).whileStopped());
        assertEquals(Map.of("write", Decision.FAIL, "read", Decision.FAIL),
                handling(RequireP2pPolicy.NAME, Map.of()).whileResuming());
        MigrationPlan abort = plan(ONE_LACKS_P2P, AbortMigrationPolicy.NAME);
        assertEquals("0000:03:00.0 (fpga) lacks P2P: DMA from virtio-net or nvme into its BARs while it is stopped "
                + "(or resuming on the destination): write -> cancels the migration; the access completes once the "
                + "device runs again | read -> cancels the migration; the access completes once the device runs "
                + "again", abort.reasons().get(0));
    }

    static DeviceHandling handling(String policy, Map<String, String> options) {
        List<DeviceHandling> h = plan(ONE_LACKS_P2P, policy, options).handling();
        assertEquals(1, h.size());
        return h.get(0);
    }

    @Test
    void failAlwaysSaysItFailsDmaEvenIntoRunningDevices() {
        assertTrue(plan(ALL_P2P, FailAlwaysPolicy.NAME).reasons().contains("0000:01:00.0 (nic): even while it runs, "
                + "fail-always fails DMA into its BARs from virtio-net and nvme: lost: writes dropped, reads "
                + "all-ones (master abort)"));
    }

    @Test
    void aSingleDeviceWithoutP2pIsAllowedByEveryBuiltinAndByQemu() {
        for (String p : BUILTINS) {
            MigrationPlan plan = plan(SINGLE, p);
            assertEquals(Verdict.ALLOWED, plan.verdict(), p);
            assertEquals(1, plan.handling().size(), p);
            assertEquals(new QemuVerdict(true, "allowed: a single VFIO device needs no P2P"), plan.qemu());
        }
    }

    @Test
    void aDeviceWithoutStopCopyIsBlockedByEveryBuiltinAndByQemu() {
        for (String p : BUILTINS) {
            MigrationPlan plan = plan(NO_STOP_COPY, p);
            assertEquals(Verdict.BLOCKED, plan.verdict(), p);
            assertEquals(List.of("0000:03:00.0 (fpga) has no STOP_COPY flag (flags P2P): it has no VFIO migration "
                    + "support, so the VM cannot migrate while it is attached"), plan.reasons(), p);
            assertEquals(List.of("0000:03:00.0: Migration couldn't be initialized for VFIO device, err: -95 "
                    + "(Operation not supported)"), plan.qemu().blockers(), p);
        }
    }
}
