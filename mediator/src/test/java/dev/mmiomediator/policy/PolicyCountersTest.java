package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.PolicyCounters.Counter.FAILED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.PolicyCounters.Counter.QUEUED;
import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mmiomediator.policy.PolicyCounters.Counter;
import dev.mmiomediator.policy.PolicyCounters.Key;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A counter snapshot: looked up per pair, summed per target and overall, listed in a fixed order. */
class PolicyCountersTest {
    private static final Map<Key, Map<Counter, Long>> ROWS = Map.of(
            new Key("virtio-net", GPU), Map.of(FAULTS, 3L, FAILED, 3L),
            new Key("nvme", NIC), Map.of(FAULTS, 5L, FORWARDED, 4L, QUEUED, 1L),
            new Key("virtio-net", NIC), Map.of(FAULTS, 2L, FORWARDED, 2L));
    private final PolicyCounters counters = new PolicyCounters(ROWS);

    @Test
    void aCountIsLookedUpPerInitiatorAndTargetAndIsZeroWhenAbsent() {
        assertEquals(4, counters.get("nvme", NIC, FORWARDED));
        assertEquals(0, counters.get("nvme", NIC, FAILED), "a counter the row lacks");
        assertEquals(0, counters.get("nvme", GPU, FAULTS), "a pair with no row");
    }

    @Test
    void totalsSumOverEveryRowOrEveryInitiatorOfOneTarget() {
        assertEquals(10, counters.total(FAULTS));
        assertEquals(6, counters.total(FORWARDED));
        assertEquals(7, counters.target(NIC, FAULTS));
        assertEquals(3, counters.target(GPU, FAULTS));
        assertEquals(0, counters.target(GPU, QUEUED));
    }

    @Test
    void keysAreSortedByInitiatorThenTarget() {
        assertEquals(List.of(new Key("nvme", NIC), new Key("virtio-net", NIC), new Key("virtio-net", GPU)),
                List.copyOf(counters.keys()));
    }

    @Test
    void eachRowIsOneLineOfItsNonZeroCountersInCounterOrder() {
        Map<Key, Map<Counter, Long>> rows = new HashMap<>(ROWS);
        rows.put(new Key("xhci", NIC), Map.of(FAILED, 0L));
        assertEquals("nvme -> 0000:01:00.0: faults=5 forwarded=4 queued=1\n"
                + "virtio-net -> 0000:01:00.0: faults=2 forwarded=2\n"
                + "virtio-net -> 0000:02:00.0: faults=3 failed=3\n"
                + "xhci -> 0000:01:00.0:\n", new PolicyCounters(rows).toString());
    }

    @Test
    void theSnapshotIsACopy() {
        Map<Counter, Long> row = new HashMap<>(Map.of(FAULTS, 1L));
        Map<Key, Map<Counter, Long>> rows = new HashMap<>(Map.of(new Key("a", NIC), row));
        PolicyCounters snapshot = new PolicyCounters(rows);
        row.put(FAULTS, 9L);
        rows.put(new Key("b", NIC), Map.of(FAULTS, 1L));
        assertEquals(1, snapshot.get("a", NIC, FAULTS));
        assertEquals(1, snapshot.keys().size());
    }

    @Test
    void theEmptySnapshotCountsNothing() {
        assertEquals(0, PolicyCounters.EMPTY.total(FAULTS));
        assertEquals(List.of(), List.copyOf(PolicyCounters.EMPTY.keys()));
        assertEquals("", PolicyCounters.EMPTY.toString());
    }

    @Test
    void aKeyNeedsBothPartsAndReadsAsAnArrow() {
        assertEquals("initiator", assertThrows(NullPointerException.class, () -> new Key(null, NIC)).getMessage());
        assertEquals("target", assertThrows(NullPointerException.class, () -> new Key("a", null)).getMessage());
        assertEquals("virtio-net -> 0000:01:00.0", new Key("virtio-net", NIC).toString());
    }
}
