package dev.mmiomediator.migration.stream;

/**
 * What a reader of a migration stream accepts at most, so that no sender can choose how much memory (or staging
 * space) the reader uses. Every limit is checked as soon as the value it bounds is known: a frame's length right
 * after its 12 header bytes, before any of its payload is read; the counts right after the header section.
 *
 * <p>A reader holds at most one frame in memory at a time ({@code maxFrameBytes}), plus what it keeps until the end
 * marker: the device states ({@code maxDeviceStateBytes} in all) and the queued writes (at most
 * {@code maxQueuedWrites} of them, in one frame, so at most {@code maxFrameBytes} of their bytes). RAM sections
 * are handed on one by one as they arrive and are not kept by the reader. With the {@link #DEFAULT defaults} that
 * is at most 16 + 64 + 16 MiB of stream bytes, and about 200 bytes of heap per queued write.
 *
 * @param maxStreamBytes      the longest stream, magic to the end marker's CRC
 * @param maxFrameBytes       the longest frame payload; a sender splits RAM into sections below it
 * @param maxDeviceStateBytes the device states' bytes, all devices together
 * @param maxQueuedWrites     the queued writes one stream may carry
 */
public record StreamLimits(long maxStreamBytes, int maxFrameBytes, long maxDeviceStateBytes, long maxQueuedWrites) {
    /** 64 GiB of stream, 16 MiB per frame, 64 MiB of device state, 262,144 queued writes. */
    public static final StreamLimits DEFAULT = new StreamLimits(64L << 30, 16 << 20, 64L << 20, 1L << 18);

    /** No limits beyond what the format itself can say (for decoding a stream already in memory). */
    public static final StreamLimits NONE = new StreamLimits(Long.MAX_VALUE, Integer.MAX_VALUE - 64, Long.MAX_VALUE,
            0xffff_ffffL);

    /** @throws IllegalArgumentException naming the value if a limit is not positive */
    public StreamLimits {
        positive(maxStreamBytes, "maxStreamBytes");
        positive(maxFrameBytes, "maxFrameBytes");
        positive(maxDeviceStateBytes, "maxDeviceStateBytes");
        if (maxQueuedWrites < 0) {
            throw new IllegalArgumentException("maxQueuedWrites " + maxQueuedWrites + ", expected at least 0");
        }
        if (maxFrameBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + ", expected at most "
                    + (Integer.MAX_VALUE - 64));
        }
    }

    private static void positive(long value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " " + value + ", expected at least 1");
        }
    }

    /** These limits with another longest stream. */
    public StreamLimits withMaxStreamBytes(long bytes) {
        return new StreamLimits(bytes, maxFrameBytes, maxDeviceStateBytes, maxQueuedWrites);
    }

    /** These limits with another longest frame. */
    public StreamLimits withMaxFrameBytes(int bytes) {
        return new StreamLimits(maxStreamBytes, bytes, maxDeviceStateBytes, maxQueuedWrites);
    }

    /** These limits with another device-state total. */
    public StreamLimits withMaxDeviceStateBytes(long bytes) {
        return new StreamLimits(maxStreamBytes, maxFrameBytes, bytes, maxQueuedWrites);
    }

    /** These limits with another queued-write count. */
    public StreamLimits withMaxQueuedWrites(long writes) {
        return new StreamLimits(maxStreamBytes, maxFrameBytes, maxDeviceStateBytes, writes);
    }
}
