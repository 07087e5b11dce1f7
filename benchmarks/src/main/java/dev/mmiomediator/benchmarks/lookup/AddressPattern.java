package dev.mmiomediator.benchmarks.lookup;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The addresses a lookup suite asks for, by the name its {@code pattern} parameter takes, generated once in
 * setup from a fixed seed and then read in a loop.
 */
public enum AddressPattern {
    /** Uniform over the map, 8-byte aligned: about one address in nine falls in a hole. */
    RANDOM {
        @Override
        long[] addresses(RangeMap map, SplittableRandom rnd) {
            long[] out = new long[COUNT];
            for (int i = 0; i < COUNT; i++) {
                out[i] = rnd.nextLong(map.end()) & ~7L;
            }
            return out;
        }
    },
    /** {@value #RUN} consecutive hits in one random range, then the next range: a device streaming a buffer. */
    RUNS {
        @Override
        long[] addresses(RangeMap map, SplittableRandom rnd) {
            long[] out = new long[COUNT];
            for (int i = 0; i < COUNT; i += RUN) {
                long start = rnd.nextInt(map.size()) * RangeMap.STRIDE;
                for (int j = 0; j < RUN; j++) {
                    out[i + j] = start + (rnd.nextLong(RangeMap.LENGTH) & ~7L);
                }
            }
            return out;
        }
    };

    /** How many addresses a pattern holds (a power of two; 512 KiB, streamed in order). */
    public static final int COUNT = 1 << 16;
    /** Length of one run of the {@link #RUNS} pattern. */
    public static final int RUN = 64;

    /** The pattern named {@code name} (the lower-case constant name). */
    public static AddressPattern named(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** {@link #COUNT} addresses over {@code map}, the same for the same seed. */
    public long[] addresses(RangeMap map, long seed) {
        return addresses(map, new SplittableRandom(seed));
    }

    abstract long[] addresses(RangeMap map, SplittableRandom rnd);
}
