package dev.mmiomediator.dma;

import dev.mmiomediator.memory.PassthroughBar;

/**
 * One piece of a non-vCPU access that hit a P2P section: everything a policy needs to decide.
 *
 * @param initiator who made it
 * @param bar       the BAR it hits: the passthrough device ({@code bar.device()}) and the BAR index
 *                  ({@code bar.bar()})
 * @param barOffset where in the BAR the piece starts
 * @param length    its length in bytes
 * @param write     whether it is a write (posted) or a read (non-posted)
 * @param data      for a write, the bytes to write; for a read, where the handler puts the bytes read
 *                  (exactly {@code length} bytes, from index 0)
 */
public record P2pAccess(Initiator initiator, PassthroughBar bar, long barOffset, int length, boolean write,
                        byte[] data) {
    /** Whether the access is posted (a write: needs no completion). */
    public boolean posted() {
        return write;
    }

    @Override
    public String toString() {
        return (write ? "write " : "read ") + bar + "+" + dev.mmiomediator.memory.Size.hex(barOffset) + "/" + length
                + " by " + initiator;
    }
}
