package dev.mmiomediator.vfio.sim;

import dev.mmiomediator.policy.P2pTarget;

import java.util.Objects;

/**
 * A {@link P2pTarget} backed by a {@link SimulatedPassthroughDevice}: the bytes are split into naturally aligned
 * little-endian accesses of 8, 4, 2 or 1 bytes, each a {@link SimulatedPassthroughDevice#mmioRead}/{@link
 * SimulatedPassthroughDevice#mmioWrite} by initiator {@code "p2p"}. A refused piece throws, and earlier pieces stay
 * done. Thread-safe as the device is.
 */
public final class SimulatedP2pTarget implements P2pTarget {
    private final SimulatedPassthroughDevice device;

    private SimulatedP2pTarget(SimulatedPassthroughDevice device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    /** The target that forwards accesses to {@code device}. */
    public static P2pTarget of(SimulatedPassthroughDevice device) {
        return new SimulatedP2pTarget(device);
    }

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

    /** The largest naturally aligned access size (8, 4, 2 or 1) that fits at {@code offset} in {@code remaining}. */
    static int pieceSize(long offset, int remaining) {
        for (int size = 8; size > 1; size >>= 1) {
            if (remaining >= size && (offset & (size - 1)) == 0) {
                return size;
            }
        }
        return 1;
    }

    @Override
    public String toString() {
        return "simulated " + device.device().address();
    }
}
