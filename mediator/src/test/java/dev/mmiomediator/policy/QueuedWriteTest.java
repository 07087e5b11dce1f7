package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.Requests.GPU;
import static dev.mmiomediator.policy.Requests.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A held write as the stream carries it: its checks, its equality over every field and the bytes, its text. */
class QueuedWriteTest {
    private static final QueuedWrite W = new QueuedWrite(12, "virtio-net", NIC, 0, 0x10, new byte[] {1, 2, 3, 4});

    @Test
    void aNegativeSequenceOrOffsetIsRefusedNamingTheValue() {
        assertEquals("queued write sequence -1, expected at least 0", assertThrows(IllegalArgumentException.class,
                () -> new QueuedWrite(-1, "a", NIC, 0, 0, new byte[1])).getMessage());
        assertEquals("queued write to 0000:01:00.0 BAR 2 at offset 0xffffffffffffffff, expected a non-negative offset",
                assertThrows(IllegalArgumentException.class,
                        () -> new QueuedWrite(0, "a", NIC, 2, -1, new byte[1])).getMessage());
        assertEquals("queued write to 0000:01:00.0 BAR -1, expected BAR 0 to 5", assertThrows(
                IllegalArgumentException.class, () -> new QueuedWrite(0, "a", NIC, -1, 0, new byte[1])).getMessage());
    }

    @Test
    void theSmallestValuesAreAccepted() {
        QueuedWrite w = new QueuedWrite(0, "a", NIC, 5, 0, new byte[1]);
        assertEquals(1, w.length());
        assertEquals(5, w.bar());
    }

    @Test
    void writesAreEqualWhenEveryFieldAndByteIsEqual() {
        QueuedWrite same = new QueuedWrite(12, "virtio-net", NIC, 0, 0x10, new byte[] {1, 2, 3, 4});
        assertEquals(W, same);
        assertEquals(W.hashCode(), same.hashCode());
        List<QueuedWrite> others = List.of(
                new QueuedWrite(13, "virtio-net", NIC, 0, 0x10, new byte[] {1, 2, 3, 4}),
                new QueuedWrite(12, "nvme", NIC, 0, 0x10, new byte[] {1, 2, 3, 4}),
                new QueuedWrite(12, "virtio-net", GPU, 0, 0x10, new byte[] {1, 2, 3, 4}),
                new QueuedWrite(12, "virtio-net", NIC, 1, 0x10, new byte[] {1, 2, 3, 4}),
                new QueuedWrite(12, "virtio-net", NIC, 0, 0x14, new byte[] {1, 2, 3, 4}),
                new QueuedWrite(12, "virtio-net", NIC, 0, 0x10, new byte[] {1, 2, 3, 5}));
        for (QueuedWrite other : others) {
            assertNotEquals(W, other, other.toString());
            assertNotEquals(W.hashCode(), other.hashCode(), other.toString());
        }
        assertNotEquals(W, "#12 virtio-net -> 0000:01:00.0 BAR 0+0x10/4");
    }

    @Test
    void aWriteSaysItsSequenceInitiatorTargetAndLength() {
        assertEquals("#12 virtio-net -> 0000:01:00.0 BAR 0+0x10/4", W.toString());
    }
}
