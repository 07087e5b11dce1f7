package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The helpers the README tells embedders to use on a result: {@code isOk}, {@code hitP2p} and {@code describe}.
 * The expectations come from the bit definitions (QEMU's MEMTX_ERROR, MEMTX_DECODE_ERROR, MEMTX_ACCESS_ERROR in
 * bits 0 to 2; the P2P outcomes in bits 8 to 11), not from the helpers.
 */
class MemTxResultTest {
    private static final List<Integer> ERROR_BITS = List.of(MemTxResult.ERROR, MemTxResult.DECODE_ERROR,
            MemTxResult.ACCESS_ERROR);
    private static final List<Integer> P2P_BITS = List.of(MemTxResult.P2P_FAILED, MemTxResult.P2P_FORWARDED,
            MemTxResult.P2P_QUEUED, MemTxResult.P2P_ABORT_MIGRATION);

    @Test
    void theBitsAreQemusMemTxBitsAndDistinctP2pBits() {
        assertEquals(0, MemTxResult.OK);
        assertEquals(List.of(1, 2, 4), ERROR_BITS, "MEMTX_ERROR (1U << 0), MEMTX_DECODE_ERROR (1U << 1), "
                + "MEMTX_ACCESS_ERROR (1U << 2)");
        assertEquals(List.of(0x100, 0x200, 0x400, 0x800), P2P_BITS);
    }

    @Test
    void okIsOk() {
        assertTrue(MemTxResult.isOk(MemTxResult.OK));
    }

    @Test
    void everyErrorBitMakesAResultNotOk() {
        for (int bit : ERROR_BITS) {
            assertFalse(MemTxResult.isOk(bit), Integer.toHexString(bit));
            assertFalse(MemTxResult.isOk(bit | MemTxResult.P2P_FORWARDED), Integer.toHexString(bit) + " with P2P");
        }
    }

    @Test
    void p2pOutcomesAloneAreOk() {
        // a master-aborted P2P piece completed as far as the initiator is concerned: the outcome is not an error bit
        for (int bit : P2P_BITS) {
            assertTrue(MemTxResult.isOk(bit), Integer.toHexString(bit));
        }
        assertTrue(MemTxResult.isOk(MemTxResult.P2P_FAILED | MemTxResult.P2P_QUEUED));
    }

    @Test
    void everyP2pOutcomeCountsAsAP2pHit() {
        for (int bit : P2P_BITS) {
            assertTrue(MemTxResult.hitP2p(bit), Integer.toHexString(bit));
            assertTrue(MemTxResult.hitP2p(bit | MemTxResult.DECODE_ERROR), Integer.toHexString(bit) + " with error");
        }
    }

    @Test
    void errorsAloneAndOkAreNoP2pHit() {
        assertFalse(MemTxResult.hitP2p(MemTxResult.OK));
        for (int bit : ERROR_BITS) {
            assertFalse(MemTxResult.hitP2p(bit), Integer.toHexString(bit));
        }
        assertFalse(MemTxResult.hitP2p(MemTxResult.ERROR | MemTxResult.DECODE_ERROR | MemTxResult.ACCESS_ERROR));
    }

    @Test
    void describeNamesOkWhenNoBitIsSet() {
        assertEquals("OK", MemTxResult.describe(MemTxResult.OK));
    }

    @Test
    void describeNamesEachSingleBit() {
        assertEquals("ERROR", MemTxResult.describe(MemTxResult.ERROR));
        assertEquals("DECODE_ERROR", MemTxResult.describe(MemTxResult.DECODE_ERROR));
        assertEquals("ACCESS_ERROR", MemTxResult.describe(MemTxResult.ACCESS_ERROR));
        assertEquals("P2P_FAILED", MemTxResult.describe(MemTxResult.P2P_FAILED));
        assertEquals("P2P_FORWARDED", MemTxResult.describe(MemTxResult.P2P_FORWARDED));
        assertEquals("P2P_QUEUED", MemTxResult.describe(MemTxResult.P2P_QUEUED));
        assertEquals("P2P_ABORT_MIGRATION", MemTxResult.describe(MemTxResult.P2P_ABORT_MIGRATION));
    }

    @Test
    void describeJoinsSeveralBitsWithBarsErrorsFirstInBitOrder() {
        // the README's example result of a straddle of unassigned space and a master-aborted BAR
        assertEquals("DECODE_ERROR|P2P_FAILED", MemTxResult.describe(MemTxResult.P2P_FAILED | MemTxResult.DECODE_ERROR));
        assertEquals("ERROR|DECODE_ERROR|ACCESS_ERROR|P2P_FAILED|P2P_FORWARDED|P2P_QUEUED|P2P_ABORT_MIGRATION",
                MemTxResult.describe(0xf07));
        assertEquals("ERROR|P2P_ABORT_MIGRATION", MemTxResult.describe(MemTxResult.ERROR | MemTxResult.P2P_ABORT_MIGRATION));
    }

    @Test
    void describeNamesOnlyTheBitsMemTxResultDefines() {
        // a result is an int: bits 3 to 7 and from 12 up have no name, and describing them must not break a log line
        assertEquals("ERROR", MemTxResult.describe(MemTxResult.ERROR | 1 << 3));
        assertEquals("P2P_ABORT_MIGRATION", MemTxResult.describe(MemTxResult.P2P_ABORT_MIGRATION | 1 << 12));
    }
}
