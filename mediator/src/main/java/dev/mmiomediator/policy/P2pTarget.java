package dev.mmiomediator.policy;

/**
 * How the engine performs a forwarded access on a passthrough device's BAR; the emulator supplies one per
 * device (a VFIO region read/write, an mmap'd BAR, or {@code vfio.sim.SimulatedP2pTarget} in tests). Called on
 * the accessing thread, concurrently: implementations must be thread-safe. A target may throw if the device refuses the
 * access (the engine then master-aborts it and reports {@link dev.mmiomediator.dma.MemTxResult#ERROR}).
 */
public interface P2pTarget {
    /** Reads {@code length} bytes at {@code offset} of BAR {@code bar} into {@code dst[0..length)}. */
    void read(int bar, long offset, byte[] dst, int length);

    /** Writes {@code src[0..length)} at {@code offset} of BAR {@code bar}. */
    void write(int bar, long offset, byte[] src, int length);
}
