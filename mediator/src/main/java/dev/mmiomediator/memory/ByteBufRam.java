package dev.mmiomediator.memory;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/**
 * RAM backed by a netty {@link ByteBuf} the caller owns, for example one wrapping memory the emulator already
 * mapped for the guest. The buffer's reader and writer indices are never moved; its capacity is the size.
 *
 * <p>Thread-safe as far as the buffer's absolute get/set methods are (netty's heap and direct buffers are).
 */
public final class ByteBufRam implements RamBacking {
    private final ByteBuf buf;

    /** RAM over {@code buf}; the caller keeps ownership (and the reference count). */
    public ByteBufRam(ByteBuf buf) {
        this.buf = Objects.requireNonNull(buf, "buf");
    }

    /** The buffer. */
    public ByteBuf buffer() {
        return buf;
    }

    @Override
    public long size() {
        return buf.capacity();
    }

    @Override
    public long read(long offset, int size) {
        return get(buf, (int) offset, size);
    }

    @Override
    public void write(long offset, int size, long value) {
        set(buf, (int) offset, size, value);
    }

    /**
     * The {@code size} (1, 2, 4; anything else reads 8) bytes of {@code b} at {@code index}, little-endian and
     * zero-extended: what {@link #read(long, int)} reads, for a caller that holds the buffer itself (a DMA port's
     * fast path).
     */
    public static long get(ByteBuf b, int index, int size) {
        switch (size) {
            case 1: return b.getUnsignedByte(index);
            case 2: return b.getUnsignedShortLE(index);
            case 4: return b.getUnsignedIntLE(index);
            default: return b.getLongLE(index);
        }
    }

    /**
     * Writes the low {@code size} (1, 2, 4; anything else writes 8) bytes of {@code value} into {@code b} at
     * {@code index}, little-endian: what {@link #write(long, int, long)} writes, for a caller that holds the buffer.
     */
    public static void set(ByteBuf b, int index, int size, long value) {
        switch (size) {
            case 1: b.setByte(index, (int) value); break;
            case 2: b.setShortLE(index, (int) value); break;
            case 4: b.setIntLE(index, (int) value); break;
            default: b.setLongLE(index, value); break;
        }
    }

    @Override
    public void read(long offset, byte[] dst, int dstIndex, int length) {
        buf.getBytes((int) offset, dst, dstIndex, length);
    }

    @Override
    public void write(long offset, byte[] src, int srcIndex, int length) {
        buf.setBytes((int) offset, src, srcIndex, length);
    }

    @Override
    public void read(long offset, ByteBuf dst, int dstIndex, int length) {
        buf.getBytes((int) offset, dst, dstIndex, length);
    }

    @Override
    public void write(long offset, ByteBuf src, int srcIndex, int length) {
        buf.setBytes((int) offset, src, srcIndex, length);
    }
}
