package dev.mmiomediator.memory;

import io.netty.buffer.ByteBuf;

/**
 * The bytes behind a RAM-like region (RAM, ROM, ram device, ROM device): what a DMA access into the region
 * reads and writes. Offsets are from the region's start; callers check them against {@link #size()}.
 * Multi-byte values are little-endian.
 *
 * <p>Implementations are thread-safe in the way guest memory is: concurrent accesses to different bytes are
 * independent, concurrent accesses to the same bytes race as they would on real hardware, and nothing an
 * access does corrupts the backing itself.
 */
public interface RamBacking {
    /** The number of bytes backed. */
    long size();

    /** Reads {@code size} (1, 2, 4 or 8) bytes at {@code offset}, little-endian, zero-extended. */
    long read(long offset, int size);

    /** Writes the low {@code size} (1, 2, 4 or 8) bytes of {@code value} at {@code offset}, little-endian. */
    void write(long offset, int size, long value);

    /** Copies {@code length} bytes at {@code offset} into {@code dst[dstIndex...]}. */
    void read(long offset, byte[] dst, int dstIndex, int length);

    /** Copies {@code length} bytes from {@code src[srcIndex...]} to {@code offset}. */
    void write(long offset, byte[] src, int srcIndex, int length);

    /** Copies {@code length} bytes at {@code offset} into {@code dst} at {@code dstIndex}, not moving its indices. */
    void read(long offset, ByteBuf dst, int dstIndex, int length);

    /** Copies {@code length} bytes from {@code src} at {@code srcIndex} to {@code offset}, not moving its indices. */
    void write(long offset, ByteBuf src, int srcIndex, int length);
}
