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
        int i = (int) offset;
        switch (size) {
            case 1: return buf.getUnsignedByte(i);
            case 2: return buf.getUnsignedShortLE(i);
            case 4: return buf.getUnsignedIntLE(i);
            default: return buf.getLongLE(i);
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        int i = (int) offset;
        switch (size) {
            case 1: buf.setByte(i, (int) value); break;
            case 2: buf.setShortLE(i, (int) value); break;
            case 4: buf.setIntLE(i, (int) value); break;
            default: buf.setLongLE(i, value); break;
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
