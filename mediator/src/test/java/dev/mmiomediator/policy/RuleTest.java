package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static dev.mmiomediator.policy.Requests.VIRTIO;
import static dev.mmiomediator.policy.Requests.read;
import static dev.mmiomediator.policy.Requests.request;
import static dev.mmiomediator.policy.Requests.write;
import static dev.mmiomediator.vfio.MigrationState.RUNNING;
import static dev.mmiomediator.vfio.MigrationState.RUNNING_P2P;
import static dev.mmiomediator.vfio.MigrationState.STOP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each {@link Rule} condition at its edges: what it matches, what it does not, and the arguments it refuses. */
class RuleTest {
    @Test
    void aDeviceRuleMatchesOnlyThatDevice() {
        Rule r = Rule.device("0000:01:00.0");
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(r.matches(request(write(VIRTIO, GPU, 0, 0, 4), RUNNING)));
    }

    @Test
    void barAcceptsIndicesZeroToFiveOnly() {
        assertTrue(Rule.any().bar(0).matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertTrue(Rule.any().bar(5).matches(request(write(VIRTIO, NIC, 5, 0, 4), RUNNING)));
        assertEquals("BAR -1: expected an index from 0 to 5",
                assertThrows(IllegalArgumentException.class, () -> Rule.any().bar(-1)).getMessage());
    }

    @Test
    void anOffsetRangeIncludesItsStartAndEndsBeforeItsEnd() {
        Rule r = Rule.any().offsets(0x100, 0x200);
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0x100, 4), RUNNING)), "starts at from");
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0xff, 4), RUNNING)), "starts one byte before");
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0x1ff, 1), RUNNING)), "the last byte");
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0x200, 1), RUNNING)), "the byte at to");
    }

    @Test
    void anOffsetRangeMayStartAtZeroAndBeOneByteLong() {
        assertTrue(Rule.any().offsets(0, 1).matches(request(write(VIRTIO, NIC, 0, 0, 1), RUNNING)));
        assertEquals("BAR offset range [0xffffffffffffffff, 0x10): expected 0 <= from < to", assertThrows(
                IllegalArgumentException.class, () -> Rule.any().offsets(-1, 0x10)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rule.any().offsets(0x10, 0x0f));
    }

    @Test
    void targetRefusesIsTheOppositeOfTargetAccepts() {
        assertFalse(Rule.any().targetRefuses().matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(Rule.any().targetAccepts().matches(request(read(VIRTIO, NIC, 0, 0, 4), STOP)));
        assertTrue(Rule.any().targetAccepts().matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING_P2P)));
    }

    @Test
    void writesDoesNotMatchReads() {
        assertFalse(Rule.any().writes().matches(request(read(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertTrue(Rule.any().writes().matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void targetSupportsP2pFollowsTheRequest() {
        P2pRequest with = new P2pRequest(read(VIRTIO, NIC, 0, 0, 4), STOP, true, MigrationPhase.NONE);
        P2pRequest without = new P2pRequest(read(VIRTIO, NIC, 0, 0, 4), STOP, false, MigrationPhase.NONE);
        assertTrue(Rule.any().targetSupportsP2p().matches(with));
        assertFalse(Rule.any().targetSupportsP2p().matches(without));
        assertEquals("target supports P2P", Rule.any().targetSupportsP2p().toString());
    }

    @Test
    void aCustomConditionIsAndedAndDescribed() {
        Rule r = Rule.any().writes().and(q -> q.access().length() == 8, "8 bytes");
        assertTrue(r.matches(request(write(VIRTIO, NIC, 0, 0, 8), RUNNING)));
        assertFalse(r.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(r.matches(request(read(VIRTIO, NIC, 0, 0, 8), RUNNING)), "every condition must hold");
        assertEquals("writes and 8 bytes", r.toString());
    }

    @Test
    void aRuleWithNoConditionMatchesEverythingAndSaysSo() {
        assertTrue(Rule.any().matches(request(read(VIRTIO, GPU, 3, 0x40, 2), STOP)));
        assertEquals("any access", Rule.any().toString());
    }

    @Test
    void chainingLeavesTheOriginalRuleUnchanged() {
        Rule writes = Rule.any().writes();
        Rule narrower = writes.bar(2);
        assertEquals("writes", writes.toString());
        assertTrue(writes.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
        assertFalse(narrower.matches(request(write(VIRTIO, NIC, 0, 0, 4), RUNNING)));
    }

    @Test
    void targetInAndPhaseNeedAtLeastOneValue() {
        assertEquals("targetIn(): expected at least one migration state",
                assertThrows(IllegalArgumentException.class, () -> Rule.any().targetIn()).getMessage());
        assertEquals("phase(): expected at least one migration phase",
                assertThrows(IllegalArgumentException.class, () -> Rule.any().phase()).getMessage());
    }

    @Test
    void conditionsDescribeThemselves() {
        assertEquals("initiator virtio-net and initiator kind SOFTWARE_DEVICE and BAR 2 and offsets [0x10, 0x20) "
                        + "and reads and target refuses and target in [STOP] and phase in [SOURCE_STOPPING]",
                Rule.initiator("virtio-net").andInitiatorKind(dev.mmiomediator.dma.Initiator.Kind.SOFTWARE_DEVICE)
                        .bar(2).offsets(0x10, 0x20).reads().targetRefuses().targetIn(STOP)
                        .phase(MigrationPhase.SOURCE_STOPPING).toString());
    }
}
