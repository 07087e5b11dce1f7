package dev.mmiomediator.dma;

import java.util.ArrayList;
import java.util.List;

/**
 * Access results: QEMU's {@code MemTxResult} bits, OR-ed over the pieces of an access, plus the P2P outcome
 * of pieces that hit a P2P section. A result is an {@code int}; {@link #OK} is 0.
 */
public final class MemTxResult {
    /** Every piece completed. */
    public static final int OK = 0;
    /** The device signalled an error ({@code MEMTX_ERROR}). */
    public static final int ERROR = 1;
    /** No region answers the address ({@code MEMTX_DECODE_ERROR}): reads return 0, writes are dropped. */
    public static final int DECODE_ERROR = 1 << 1;
    /** The access is not allowed as made ({@code MEMTX_ACCESS_ERROR}), e.g. past 2^64 or a bad size. */
    public static final int ACCESS_ERROR = 1 << 2;
    /** A piece hit a P2P section and was master-aborted: reads returned all-ones, writes were dropped. */
    public static final int P2P_FAILED = 1 << 8;
    /** A piece hit a P2P section and the policy forwarded it to the device. */
    public static final int P2P_FORWARDED = 1 << 9;
    /** A piece hit a P2P section and the policy queued it (posted writes only) for later replay. */
    public static final int P2P_QUEUED = 1 << 10;
    /** A piece hit a P2P section and the policy asked to abort the migration. */
    public static final int P2P_ABORT_MIGRATION = 1 << 11;

    private MemTxResult() {
    }

    /** Whether the result carries no error bit (P2P outcome bits aside). */
    public static boolean isOk(int result) {
        return (result & (ERROR | DECODE_ERROR | ACCESS_ERROR)) == 0;
    }

    /** Whether some piece hit a P2P section. */
    public static boolean hitP2p(int result) {
        return (result & (P2P_FAILED | P2P_FORWARDED | P2P_QUEUED | P2P_ABORT_MIGRATION)) != 0;
    }

    /** The result's bits by name, e.g. {@code DECODE_ERROR|P2P_FAILED}, or {@code OK}. */
    public static String describe(int result) {
        List<String> names = new ArrayList<>();
        String[] all = {"ERROR", "DECODE_ERROR", "ACCESS_ERROR"};
        for (int i = 0; i < all.length; i++) {
            if ((result & (1 << i)) != 0) {
                names.add(all[i]);
            }
        }
        String[] p2p = {"P2P_FAILED", "P2P_FORWARDED", "P2P_QUEUED", "P2P_ABORT_MIGRATION"};
        for (int i = 0; i < p2p.length; i++) {
            if ((result & (1 << (8 + i))) != 0) {
                names.add(p2p[i]);
            }
        }
        return names.isEmpty() ? "OK" : String.join("|", names);
    }
}
