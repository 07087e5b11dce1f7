package dev.mmiomediator.migration.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.pci.PciAddress;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-write check: each identity judged on its own, per target device. */
class WriteLedgerTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress GPU = PciAddress.parse("0000:02:00.0");
    private static final long A = SoftwareDevice.identity(1, 4);
    private static final long B = SoftwareDevice.identity(1, 8);
    private static final long C = SoftwareDevice.identity(2, 4);

    private static Map<PciAddress, LongOpenHashSet> accepted(long... ids) {
        return Map.of(NIC, new LongOpenHashSet(ids));
    }

    @Test
    void everyAcceptedWriteTakenOnceIsExact() {
        WriteLedger.Check c = WriteLedger.check(accepted(A, B, C), Map.of(NIC, new long[] {C, A, B}), 0);
        assertEquals(new WriteLedger.Check(3, 3, 0, 0, 0, ""), c);
        assertTrue(c.exact());
    }

    @Test
    void oneLostAndOneDuplicatedWriteAreTwoFaultsThoughTheTotalsAgree() {
        WriteLedger.Check c = WriteLedger.check(accepted(A, B, C), Map.of(NIC, new long[] {A, B, B}), 0);
        assertEquals(c.accepted(), c.taken(), "the totals alone would say nothing is wrong");
        assertEquals(1, c.lost());
        assertEquals(1, c.duplicated());
        assertFalse(c.exact());
        assertEquals("0000:01:00.0: write 0x0002000000000004 (initiator 2, #4) was accepted and never taken",
                c.firstProblem());
    }

    @Test
    void aWriteTakenThreeTimesCountsTwoDuplicates() {
        WriteLedger.Check c = WriteLedger.check(accepted(A), Map.of(NIC, new long[] {A, A, A}), 0);
        assertEquals(0, c.lost());
        assertEquals(2, c.duplicated());
        assertEquals("0000:01:00.0: write 0x0001000000000004 (initiator 1, #4) was taken 3 times, accepted once",
                c.firstProblem());
    }

    @Test
    void aWriteTakenByAnotherDeviceThanItsTargetIsLostThereAndUnaskedHere() {
        WriteLedger.Check c = WriteLedger.check(accepted(A, B), Map.of(NIC, new long[] {A}, GPU, new long[] {B}), 0);
        assertEquals(1, c.lost());
        assertEquals(1, c.duplicated());
        assertTrue(c.firstProblem().contains("never taken") || c.firstProblem().contains("never accepted"),
                c.firstProblem());
    }

    @Test
    void aTakeNeverAcceptedCountsAsDuplicated() {
        WriteLedger.Check c = WriteLedger.check(Map.of(), Map.of(GPU, new long[] {C}), 0);
        assertEquals(new WriteLedger.Check(0, 1, 0, 1, 0,
                "0000:02:00.0: write 0x0002000000000004 (initiator 2, #4) was taken 1 times, never accepted for this "
                        + "device"), c);
    }

    @Test
    void anIncompleteLedgerIsNeverExact() {
        WriteLedger.Check c = WriteLedger.check(accepted(A), Map.of(NIC, new long[] {A}), 1);
        assertEquals(0, c.lost());
        assertEquals(0, c.duplicated());
        assertFalse(c.exact(), "writes the ledger could not hold prove nothing");
    }

    @Test
    void theUnionMergesSidesPerDevice() {
        Map<PciAddress, LongOpenHashSet> u = WriteLedger.union(List.of(Map.of(NIC, new long[] {A}),
                Map.of(NIC, new long[] {C}, GPU, new long[] {B})));
        assertEquals(new LongOpenHashSet(new long[] {A, C}), u.get(NIC));
        assertEquals(new LongOpenHashSet(new long[] {B}), u.get(GPU));
    }
}
