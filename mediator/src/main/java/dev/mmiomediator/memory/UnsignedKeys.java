package dev.mmiomediator.memory;

import java.util.Arrays;

/**
 * Binary search over the sorted starts of disjoint ranges, with unsigned 64-bit addresses: the starts are kept
 * as keys with the sign bit flipped ({@link #key(long)}), so the signed order of the keys is the unsigned
 * order of the addresses and {@link Arrays#binarySearch(long[], long)} applies. Shared by the flat views and
 * the DMA dispatch index.
 *
 * <p>Stateless; the methods never allocate.
 */
public final class UnsignedKeys {
    private UnsignedKeys() {
    }

    /** The key of an unsigned address. */
    public static long key(long address) {
        return address ^ Long.MIN_VALUE;
    }

    /** The index of the last start at or below {@code address}, or -1 if every start is above it. */
    public static int floor(long[] keys, long address) {
        int i = Arrays.binarySearch(keys, key(address));
        return i >= 0 ? i : -i - 2;
    }

    /** The index of the first start at or above {@code address}, or {@code keys.length} if there is none. */
    public static int ceiling(long[] keys, long address) {
        int i = Arrays.binarySearch(keys, key(address));
        return i >= 0 ? i : -i - 1;
    }
}
