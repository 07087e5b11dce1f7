package dev.mmiomediator.memory;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * RAM that costs nothing until it is written: 64 KiB chunks are allocated on first write, and untouched
 * memory reads as zero. Importing a VM with many GiB of RAM therefore allocates only the table of 1 GiB
 * directories (one reference per GiB; the directories, one reference per 64 KiB, are allocated on first write
 * too). Above 64 TiB the directories come in groups of 64 TiB, also allocated on first write, so that even
 * the largest size, 2^62 bytes, costs a table of 2^16 references.
 *
 * <p><b>IMPLEMENTATION NOTES:</b> chunks are published with a compare-and-set, so two first writes to a chunk
 * never lose each other's bytes; values are read and written through a little-endian byte-array view
 * {@link VarHandle}, without allocation.
 */
public final class SparseRam implements RamBacking {
    static final int CHUNK_SHIFT = 16;
    static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int DIR_SHIFT = 30 - CHUNK_SHIFT; // chunks per 1 GiB directory: 2^14
    private static final int DIR = 1 << DIR_SHIFT;
    private static final int GROUP_SHIFT = 16; // directories per group: 2^16, 64 TiB
    private static final int GROUP = 1 << GROUP_SHIFT;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private final long size;
    /** The directories, by {@code offset >>> 30}; {@code null} when the RAM is large enough for {@link #groups}. */
    private final AtomicReferenceArray<AtomicReferenceArray<byte[]>> dirs;
    /** Groups of directories, by {@code offset >>> 46}, for more than 64 TiB; otherwise {@code null}. */
    private final AtomicReferenceArray<AtomicReferenceArray<AtomicReferenceArray<byte[]>>> groups;

    /**
     * Sparse RAM of {@code size} bytes.
     *
     * @throws IllegalArgumentException if {@code size} is negative or above 2^62
     */
    public SparseRam(long size) {
        if (size < 0 || size > (1L << 62)) {
            throw new IllegalArgumentException("RAM size " + Size.hex(size) + ": expected 0 to 2^62 bytes");
        }
        this.size = size;
        long chunks = (size + CHUNK - 1) >>> CHUNK_SHIFT;
        long dirCount = (chunks + DIR - 1) >>> DIR_SHIFT;
        if (dirCount <= GROUP) {
            this.dirs = new AtomicReferenceArray<>((int) dirCount);
            this.groups = null;
        } else {
            this.dirs = null;
            this.groups = new AtomicReferenceArray<>((int) ((dirCount + GROUP - 1) >>> GROUP_SHIFT));
        }
    }

    /** Whether a region of {@code size} can be backed by sparse RAM (at most 2^62 bytes). */
    public static boolean canBack(Size size) {
        return !size.isFull() && size.bytes() >= 0 && size.bytes() <= (1L << 62);
    }

    @Override
    public long size() {
        return size;
    }

    /** How many bytes are allocated so far (a multiple of 64 KiB). */
    public long allocatedBytes() {
        if (dirs != null) {
            return allocatedBytes(dirs);
        }
        long n = 0;
        for (int g = 0; g < groups.length(); g++) {
            AtomicReferenceArray<AtomicReferenceArray<byte[]>> group = groups.get(g);
            if (group != null) {
                n += allocatedBytes(group);
            }
        }
        return n;
    }

    private static long allocatedBytes(AtomicReferenceArray<AtomicReferenceArray<byte[]>> table) {
        long n = 0;
        for (int d = 0; d < table.length(); d++) {
            AtomicReferenceArray<byte[]> dir = table.get(d);
            if (dir != null) {
                for (int c = 0; c < dir.length(); c++) {
                    if (dir.get(c) != null) {
                        n += CHUNK;
                    }
                }
            }
        }
        return n;
    }

    /**
     * The non-zero pages of {@code pageSize} bytes (a power of two from 8 to 64 KiB), in ascending offset order,
     * as copies keyed by their offset: what a migration must carry. Costs the allocated chunks only, so a large,
     * mostly untouched RAM is cheap. Read it while no one writes, for a consistent picture.
     *
     * @throws IllegalArgumentException naming the page size if it is not such a power of two
     */
    public java.util.NavigableMap<Long, byte[]> nonZeroPages(int pageSize) {
        if (pageSize < 8 || pageSize > CHUNK || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + ", expected a power of two from 8 to " + CHUNK);
        }
        java.util.NavigableMap<Long, byte[]> out = new java.util.TreeMap<>(Long::compareUnsigned);
        long chunks = (size + CHUNK - 1) >>> CHUNK_SHIFT;
        for (long c = 0; c < chunks; c++) {
            long at = c << CHUNK_SHIFT;
            if ((c & (DIR - 1)) == 0 && chunkDirectory(at) == null) {
                c += DIR - 1; // a whole GiB never written
                continue;
            }
            byte[] chunk = chunkForRead(at);
            if (chunk == null) {
                continue;
            }
            for (int p = 0; p < CHUNK && at + p < size; p += pageSize) {
                for (int i = p; i < p + pageSize; i += 8) {
                    if ((long) LONG.get(chunk, i) != 0) {
                        out.put(at + p, java.util.Arrays.copyOfRange(chunk, p, p + pageSize));
                        break;
                    }
                }
            }
        }
        return out;
    }

    private AtomicReferenceArray<byte[]> chunkDirectory(long offset) {
        if (dirs != null) {
            return dirs.get((int) (offset >>> 30));
        }
        AtomicReferenceArray<AtomicReferenceArray<byte[]>> group = groups.get((int) (offset >>> (30 + GROUP_SHIFT)));
        return group == null ? null : group.get((int) ((offset >>> 30) & (GROUP - 1)));
    }

    private byte[] chunkForRead(long offset) {
        AtomicReferenceArray<byte[]> dir;
        if (dirs != null) {
            dir = dirs.get((int) (offset >>> 30));
        } else {
            AtomicReferenceArray<AtomicReferenceArray<byte[]>> group = groups.get((int) (offset >>> (30 + GROUP_SHIFT)));
            dir = group == null ? null : group.get((int) ((offset >>> 30) & (GROUP - 1)));
        }
        return dir == null ? null : dir.get((int) ((offset >>> CHUNK_SHIFT) & (DIR - 1)));
    }

    private byte[] chunkForWrite(long offset) {
        AtomicReferenceArray<AtomicReferenceArray<byte[]>> table = dirs;
        if (table == null) {
            int g = (int) (offset >>> (30 + GROUP_SHIFT));
            table = groups.get(g);
            if (table == null) {
                groups.compareAndSet(g, null, new AtomicReferenceArray<>(GROUP));
                table = groups.get(g);
            }
        }
        int d = (int) ((offset >>> 30) & (GROUP - 1));
        AtomicReferenceArray<byte[]> dir = table.get(d);
        if (dir == null) {
            table.compareAndSet(d, null, new AtomicReferenceArray<>(DIR));
            dir = table.get(d);
        }
        int c = (int) ((offset >>> CHUNK_SHIFT) & (DIR - 1));
        byte[] chunk = dir.get(c);
        if (chunk == null) {
            dir.compareAndSet(c, null, new byte[CHUNK]);
            chunk = dir.get(c);
        }
        return chunk;
    }

    @Override
    public long read(long offset, int size) {
        int in = (int) (offset & (CHUNK - 1));
        if (in + size <= CHUNK) {
            byte[] chunk = chunkForRead(offset);
            if (chunk == null) {
                return 0;
            }
            switch (size) {
                case 1: return chunk[in] & 0xffL;
                case 2: return ((short) SHORT.get(chunk, in)) & 0xffffL;
                case 4: return ((int) INT.get(chunk, in)) & 0xffffffffL;
                default: return (long) LONG.get(chunk, in);
            }
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= read(offset + i, 1) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        int in = (int) (offset & (CHUNK - 1));
        if (in + size <= CHUNK) {
            byte[] chunk = chunkForWrite(offset);
            switch (size) {
                case 1: chunk[in] = (byte) value; break;
                case 2: SHORT.set(chunk, in, (short) value); break;
                case 4: INT.set(chunk, in, (int) value); break;
                default: LONG.set(chunk, in, value); break;
            }
            return;
        }
        for (int i = 0; i < size; i++) {
            write(offset + i, 1, value >>> (8 * i));
        }
    }

    @Override
    public void read(long offset, byte[] dst, int dstIndex, int length) {
        while (length > 0) {
            int in = (int) (offset & (CHUNK - 1));
            int n = Math.min(length, CHUNK - in);
            byte[] chunk = chunkForRead(offset);
            if (chunk == null) {
                java.util.Arrays.fill(dst, dstIndex, dstIndex + n, (byte) 0);
            } else {
                System.arraycopy(chunk, in, dst, dstIndex, n);
            }
            offset += n;
            dstIndex += n;
            length -= n;
        }
    }

    @Override
    public void write(long offset, byte[] src, int srcIndex, int length) {
        while (length > 0) {
            int in = (int) (offset & (CHUNK - 1));
            int n = Math.min(length, CHUNK - in);
            System.arraycopy(src, srcIndex, chunkForWrite(offset), in, n);
            offset += n;
            srcIndex += n;
            length -= n;
        }
    }

    @Override
    public void read(long offset, ByteBuf dst, int dstIndex, int length) {
        while (length > 0) {
            int in = (int) (offset & (CHUNK - 1));
            int n = Math.min(length, CHUNK - in);
            byte[] chunk = chunkForRead(offset);
            if (chunk == null) {
                dst.setZero(dstIndex, n);
            } else {
                dst.setBytes(dstIndex, chunk, in, n);
            }
            offset += n;
            dstIndex += n;
            length -= n;
        }
    }

    @Override
    public void write(long offset, ByteBuf src, int srcIndex, int length) {
        while (length > 0) {
            int in = (int) (offset & (CHUNK - 1));
            int n = Math.min(length, CHUNK - in);
            src.getBytes(srcIndex, chunkForWrite(offset), in, n);
            offset += n;
            srcIndex += n;
            length -= n;
        }
    }
}
