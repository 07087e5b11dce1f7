package dev.mmiomediator.policy;

import dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice;

import java.util.Objects;

/**
 * How the engine performs a forwarded access on a passthrough device's BAR; the emulator supplies one per
 * device (a VFIO region read/write, an mmap'd BAR, or {@link #simulated} in tests). Called on the accessing
 * thread, concurrently: implementations must be thread-safe. A target may throw if the device refuses the
 * access (the engine then master-aborts it and reports {@link dev.mmiomediator.dma.MemTxResult#ERROR}).
 */
public interface P2pTarget {
    /** Reads {@code length} bytes at {@code offset} of BAR {@code bar} into {@code dst[0..length)}. */
    void read(int bar, long offset, byte[] dst, int length);

    /** Writes {@code src[0..length)} at {@code offset} of BAR {@code bar}. */
    void write(int bar, long offset, byte[] src, int length);

    /**
     * A target backed by a simulated device: the bytes are split into naturally aligned little-endian accesses
     * of 8, 4, 2 or 1 bytes, each a {@link SimulatedPassthroughDevice#mmioRead}/{@link
     * SimulatedPassthroughDevice#mmioWrite} by initiator {@code "p2p"}. A refused piece throws, and earlier
     * pieces stay done.
     */
    static P2pTarget simulated(SimulatedPassthroughDevice device) {
        Objects.requireNonNull(device, "device");
        return new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                for (int done = 0; done < length; ) {
                    int size = pieceSize(offset + done, length - done);
                    long v = device.mmioRead("p2p", bar, offset + done, size);
                    for (int i = 0; i < size; i++) {
                        dst[done + i] = (byte) (v >>> (8 * i));
                    }
                    done += size;
                }
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                for (int done = 0; done < length; ) {
                    int size = pieceSize(offset + done, length - done);
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        v |= (src[done + i] & 0xffL) << (8 * i);
                    }
                    device.mmioWrite("p2p", bar, offset + done, size, v);
                    done += size;
                }
            }

            @Override
            public String toString() {
                return "simulated " + device.device().address();
            }
        };
    }

    private static int pieceSize(long offset, int remaining) {
        for (int size = 8; size > 1; size >>= 1) {
            if (remaining >= size && (offset & (size - 1)) == 0) {
                return size;
            }
        }
        return 1;
    }
}
