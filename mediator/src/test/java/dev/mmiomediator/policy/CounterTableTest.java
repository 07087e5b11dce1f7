package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.PolicyCounters.Counter.FAULTS;
import static dev.mmiomediator.policy.PolicyCounters.Counter.FORWARDED;
import static dev.mmiomediator.policy.Requests.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The counter table's rows: counts in the row and in owners' cells add up, and outlive the owners. */
class CounterTableTest {

    @Test
    void aRowSumsItsOwnCountsAndItsCells() {
        CounterTable table = new CounterTable();
        CounterTable.Row row = table.row("virtio-net", NIC);
        assertSame(row, table.row("virtio-net", NIC));
        Object a = new Object();
        Object b = new Object();
        CounterTable.Cell cellA = row.cell(a);
        assertSame(cellA, row.cell(a), "one cell per owner");
        CounterTable.Cell cellB = row.cell(b);
        row.increment(FAULTS);
        cellA.increment(FAULTS);
        cellA.increment(FORWARDED);
        cellB.increment(FAULTS);
        assertEquals(3, table.snapshot().get("virtio-net", NIC, FAULTS));
        assertEquals(1, table.snapshot().get("virtio-net", NIC, FORWARDED));
        assertEquals(2, row.cellCount());
    }

    @Test
    void theCountsOfACollectedOwnerStayInTheRow() throws InterruptedException {
        CounterTable table = new CounterTable();
        CounterTable.Row row = table.row("virtio-net", NIC);
        Object owner = new Object();
        WeakReference<Object> gone = new WeakReference<>(owner);
        CounterTable.Cell cell = row.cell(owner);
        for (int i = 0; i < 5; i++) {
            cell.increment(FORWARDED);
        }
        Object kept = new Object();
        row.cell(kept).increment(FORWARDED);
        owner = null;
        cell = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gone.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertTrue(gone.get() == null, "the owner was not collected within 10 s");
        assertEquals(1, row.cellCount(), "the dead owner's cell is folded into the row");
        assertEquals(6, table.snapshot().get("virtio-net", NIC, FORWARDED));
        // a new owner starts a new cell; the folded counts stay
        row.cell(new Object()).increment(FORWARDED);
        assertEquals(7, table.snapshot().get("virtio-net", NIC, FORWARDED));
        assertSame(row, table.row("virtio-net", NIC));
        java.lang.ref.Reference.reachabilityFence(kept);
    }
}
