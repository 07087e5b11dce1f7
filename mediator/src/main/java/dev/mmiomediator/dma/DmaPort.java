package dev.mmiomediator.dma;

import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.RamBacking;
import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One initiator's way into a mediated address space: 1/2/4/8-byte little-endian reads and writes, and bulk
 * copies from and to {@code byte[]} and netty {@link ByteBuf}s. Every access reads the current view once
 * and performs all its pieces against that snapshot; an access that straddles sections is split at their
 * boundaries and the pieces' results are OR-ed ({@link MemTxResult}).
 *
 * <ul>
 *   <li>RAM: copied; writes to ROM and read-only RAM are ignored (OK), as in QEMU. A port keeps the memory of
 *       the RAM section it hit last; {@link dev.mmiomediator.memory.MemoryRegion#setRamBacking} commits a topology
 *       change, so a new backing is used from that commit on (at once outside a transaction).</li>
 *   <li>MMIO: split into accesses of the region's valid sizes, naturally aligned where possible.</li>
 *   <li>P2P sections (non-vCPU initiators only): handed to the mediator's {@link P2pHandler}, as the port's one
 *       reused {@link P2pAccess} (valid during the call only).</li>
 *   <li>Unassigned addresses: reads return 0, writes are dropped, {@link MemTxResult#DECODE_ERROR}.</li>
 *   <li>An access whose address + length passes 2^64: {@link MemTxResult#ACCESS_ERROR}, nothing transferred.</li>
 * </ul>
 *
 * <p><b>Note:</b> not thread-safe: use one port per initiator thread. The port's last-hit cache (QEMU's
 * {@code mru_section}) is a plain field of the port, so ports never contend; it is checked against the view
 * snapshot, so a republished view is never served from a stale cache.
 *
 * <p>IMPLEMENTATION NOTES: the port holds its own current view in a volatile field, which its {@link Mediator}
 * stores after every commit (the mediator keeps its live ports weakly), so an access reads one field of the port
 * and then its last-hit fields: no load of the mediator. A commit that has returned is seen by every access that
 * starts after it (see the field's comment). When the last-hit RAM section is backed by a {@link ByteBufRam}, the
 * port keeps the buffer itself, and a 1/2/4/8-byte access inside that section is the view compare, an offset
 * compare and the buffer's own get or set; every other access to RAM (bulk copies, other backings) calls the
 * section's {@link RamBacking}.
 */
public final class DmaPort {
    /** The largest P2P data array a port keeps for reuse (a larger piece gets a fresh array). */
    private static final int MAX_P2P_DATA = 64 << 10;

    private final Mediator mediator;
    private final Initiator initiator;
    private final boolean vcpu;
    /**
     * This port's current view (the vCPU view for a vCPU, the device view for every other initiator), stored by the
     * mediator: set when the port is made and after every commit, both under the memory system's lock.
     *
     * <p>Why an access that reads only this field sees every commit that has returned: the mediator stores the new
     * view here after it published its own view fields, and before the commit returns (it runs on the committing
     * thread, inside the commit); a port made after a commit reads the mediator's views, and registers for the next
     * commit, under the same lock, so no commit falls between the two. The store is volatile and the port's thread
     * only ever reads the field, so whatever orders an access after a commit's return (a volatile, a lock, a thread
     * start or join) orders this read after that store, and the read returns that view or a later one: there is no
     * second field whose order against this one matters (no Dekker race), and no load of the mediator on a hit.
     */
    private volatile MediatedView view;
    /** Little-endian 8-byte view of a byte array: the scratch bytes of a 1- to 8-byte access off the RAM path. */
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] scratch = new byte[8];
    private final P2pAccess p2pAccess;
    private byte[] p2pData = new byte[8];
    // the last-hit section (QEMU's mru_section) and its bounds, in the port so a hit reads the port's fields only:
    // mruView is the view it belongs to (null: none yet), mruSpan its last address minus its start
    private MediatedView mruView;
    private Section mru;
    private long mruStart;
    private long mruSpan;
    private int result;
    // the last-hit RAM section of at least 8 bytes, flattened into the port so an access that stays in it reads the
    // port's fields only: ramView is the view it belongs to (null: none), ramWriteView the same unless writes are
    // ignored (then null, so writes take the slow path), its start, last - start (>= 7), memory and offset delta.
    // When that memory is a ByteBufRam, bufView and bufWriteView are ramView and ramWriteView and buf is its buffer,
    // so a hit is the buffer's own get or set (no RamBacking dispatch, no size switch); otherwise both are null.
    private MediatedView ramView;
    private MediatedView ramWriteView;
    private MediatedView bufView;
    private MediatedView bufWriteView;
    private long ramStart;
    private long ramSpan;
    private long ramDelta;
    private RamBacking ram;
    private ByteBuf buf;

    DmaPort(Mediator mediator, Initiator initiator, MediatedView view) {
        this.mediator = mediator;
        this.initiator = Objects.requireNonNull(initiator, "initiator");
        this.vcpu = initiator.isVcpu();
        this.p2pAccess = new P2pAccess(initiator);
        this.view = Objects.requireNonNull(view, "view");
    }

    /** Whether this port reads the vCPU view. */
    boolean vcpu() {
        return vcpu;
    }

    /** The mediator's publication: {@code v} is this port's view from now on (under the memory system's lock). */
    void publish(MediatedView v) {
        view = v;
    }

    /** The initiator this port accesses for. */
    public Initiator initiator() {
        return initiator;
    }

    /** The result of the last {@link #read(long, int)} on this port. */
    public int result() {
        return result;
    }

    private static void checkSize(int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("access size " + size + ": expected 1, 2, 4 or 8 bytes");
        }
    }

    /** Whether {@code [addr, addr + len)} passes 2^64. */
    private static boolean wraps(long addr, long len) {
        return len != 0 && Long.compareUnsigned(addr, -len) > 0;
    }

    /**
     * The section of this port's current view (the vCPU view for a vCPU, the device view for every other
     * initiator) that contains {@code addr}, or {@code null} if none does: the dispatch every access of this port
     * makes before it touches memory. One volatile read of the port's own view field, the port's last-hit check (its
     * own fields, checked against the view, so a republished view is never served from a stale hit), then
     * {@link MediatedView#indexOf(long)}. Never allocates, locks or throws.
     *
     * <p>Updates the port's last-hit section: like every method of a port, for one thread only.
     */
    public Section section(long addr) {
        return lookup(view, addr);
    }

    private Section lookup(MediatedView v, long addr) {
        if (v == mruView && Long.compareUnsigned(addr - mruStart, mruSpan) <= 0) {
            return mru;
        }
        int i = v.indexOf(addr);
        if (i < 0) {
            return null;
        }
        Section s = v.section(i);
        mru = s;
        mruView = v;
        mruStart = v.startOf(i);
        mruSpan = v.spanOf(i);
        return s;
    }

    /**
     * Whether {@code [addr, addr + size)} lies in one RAM section of {@code v}; if so, the port's last-hit RAM fields
     * describe it. {@code addr + size} must not pass 2^64 (so {@code off + size - 1} cannot overflow).
     */
    private boolean inRam(MediatedView v, long addr, long size) {
        if (v != ramView || Long.compareUnsigned(addr - ramStart, ramSpan) > 0) {
            Section s = lookup(v, addr);
            if (s == null || s.kind != Section.Kind.RAM || Long.compareUnsigned(s.last - s.start, 7) < 0) {
                return false;
            }
            ramStart = s.start;
            ramSpan = s.last - s.start;
            RamBacking backing = s.region.ramBacking();
            ram = backing;
            ramDelta = s.regionDelta;
            ramView = v;
            ramWriteView = s.readOnly ? null : v;
            if (backing instanceof ByteBufRam) { // final: the buffer's get/set are what ByteBufRam would call
                buf = ((ByteBufRam) backing).buffer();
                bufView = v;
                bufWriteView = ramWriteView;
            } else {
                buf = null;
                bufView = null;
                bufWriteView = null;
            }
        }
        return Long.compareUnsigned(addr - ramStart + size - 1, ramSpan) <= 0;
    }

    /**
     * Reads {@code size} (1, 2, 4 or 8) bytes at {@code addr}, little-endian; {@link #result()} tells how it went.
     *
     * @throws IllegalArgumentException for any other size
     */
    public long read(long addr, int size) {
        checkSize(size);
        MediatedView v = view;
        // the fast path: inside the last-hit RAM section, over a ByteBuf (ramSpan >= 7, so ramSpan - (size - 1)
        // cannot wrap); with a constant size the JIT folds the switch
        if (v == bufView && Long.compareUnsigned(addr - ramStart, ramSpan - (size - 1)) <= 0) {
            result = MemTxResult.OK;
            return ByteBufRam.get(buf, (int) (addr + ramDelta), size);
        }
        return readSlow(v, addr, size);
    }

    private long readSlow(MediatedView v, long addr, int size) {
        if (wraps(addr, size)) {
            result = MemTxResult.ACCESS_ERROR;
            return 0;
        }
        if (inRam(v, addr, size)) {
            result = MemTxResult.OK;
            return ram.read(addr + ramDelta, size);
        }
        result = access(v, addr, size, false, scratch, null, 0);
        long value = (long) LONG_LE.get(scratch, 0); // the bytes past size are an earlier access's: masked off
        return size == 8 ? value : value & ((1L << (8 * size)) - 1);
    }

    /**
     * Writes the low {@code size} (1, 2, 4 or 8) bytes of {@code value} at {@code addr}, little-endian.
     *
     * @return {@link MemTxResult} bits
     * @throws IllegalArgumentException for any other size
     */
    public int write(long addr, int size, long value) {
        checkSize(size);
        MediatedView v = view;
        // the fast path: inside the last-hit RAM section, over a ByteBuf, which takes writes
        if (v == bufWriteView && Long.compareUnsigned(addr - ramStart, ramSpan - (size - 1)) <= 0) {
            ByteBufRam.set(buf, (int) (addr + ramDelta), size, value);
            return MemTxResult.OK;
        }
        return writeSlow(v, addr, size, value);
    }

    private int writeSlow(MediatedView v, long addr, int size, long value) {
        if (wraps(addr, size)) {
            return MemTxResult.ACCESS_ERROR;
        }
        if (inRam(v, addr, size)) {
            if (v == ramWriteView) {
                ram.write(addr + ramDelta, size, value);
            }
            return MemTxResult.OK;
        }
        LONG_LE.set(scratch, 0, value); // access reads the first size bytes only
        return access(v, addr, size, true, scratch, null, 0);
    }

    /**
     * Reads {@code length} bytes at {@code addr} into {@code dst[offset...]}. A zero length does nothing (OK).
     *
     * @return {@link MemTxResult} bits
     * @throws IndexOutOfBoundsException if the range does not fit in {@code dst}
     */
    public int read(long addr, byte[] dst, int offset, int length) {
        Objects.requireNonNull(dst, "dst");
        Objects.checkFromIndexSize(offset, length, dst.length);
        if (length == 0) {
            return MemTxResult.OK;
        }
        if (wraps(addr, length)) {
            return MemTxResult.ACCESS_ERROR;
        }
        MediatedView v = view;
        if (inRam(v, addr, length)) {
            ram.read(addr + ramDelta, dst, offset, length);
            return MemTxResult.OK;
        }
        return access(v, addr, length, false, dst, null, offset);
    }

    /**
     * Writes {@code length} bytes from {@code src[offset...]} at {@code addr}. A zero length does nothing (OK).
     *
     * @return {@link MemTxResult} bits
     */
    public int write(long addr, byte[] src, int offset, int length) {
        Objects.requireNonNull(src, "src");
        Objects.checkFromIndexSize(offset, length, src.length);
        if (length == 0) {
            return MemTxResult.OK;
        }
        if (wraps(addr, length)) {
            return MemTxResult.ACCESS_ERROR;
        }
        MediatedView v = view;
        if (inRam(v, addr, length)) {
            if (v == ramWriteView) {
                ram.write(addr + ramDelta, src, offset, length);
            }
            return MemTxResult.OK;
        }
        return access(v, addr, length, true, src, null, offset);
    }

    /**
     * Reads {@code length} bytes at {@code addr} into {@code dst} at its writer index, which advances by
     * {@code length} (the buffer grows if it can).
     *
     * @return {@link MemTxResult} bits
     */
    public int read(long addr, ByteBuf dst, int length) {
        Objects.requireNonNull(dst, "dst");
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + ": expected >= 0");
        }
        if (length == 0) {
            return MemTxResult.OK;
        }
        if (wraps(addr, length)) {
            return MemTxResult.ACCESS_ERROR;
        }
        dst.ensureWritable(length);
        int index = dst.writerIndex();
        MediatedView v = view;
        int r;
        if (inRam(v, addr, length)) {
            ram.read(addr + ramDelta, dst, index, length);
            r = MemTxResult.OK;
        } else {
            r = access(v, addr, length, false, null, dst, index);
        }
        dst.writerIndex(index + length);
        return r;
    }

    /**
     * Writes {@code length} bytes from {@code src} at its reader index, which advances by {@code length}.
     *
     * @return {@link MemTxResult} bits
     * @throws IndexOutOfBoundsException if {@code src} has fewer readable bytes
     */
    public int write(long addr, ByteBuf src, int length) {
        Objects.requireNonNull(src, "src");
        if (length < 0 || length > src.readableBytes()) {
            throw new IndexOutOfBoundsException("length " + length + ": expected 0 to the " + src.readableBytes()
                    + " readable bytes of the source buffer");
        }
        if (length == 0) {
            return MemTxResult.OK;
        }
        if (wraps(addr, length)) {
            return MemTxResult.ACCESS_ERROR;
        }
        int index = src.readerIndex();
        MediatedView v = view;
        int r;
        if (inRam(v, addr, length)) {
            if (v == ramWriteView) {
                ram.write(addr + ramDelta, src, index, length);
            }
            r = MemTxResult.OK;
        } else {
            r = access(v, addr, length, true, null, src, index);
        }
        src.readerIndex(index + length);
        return r;
    }

    /** Performs every piece of an access against one view snapshot; exactly one of arr and buf is non-null. */
    private int access(MediatedView v, long addr, int length, boolean write, byte[] arr, ByteBuf buf, int index) {
        int res = MemTxResult.OK;
        int done = 0;
        while (done < length) {
            long a = addr + done;
            int rem = length - done;
            Section s = lookup(v, a);
            int n;
            if (s == null) {
                long next = v.nextStart(a);
                long gap = next - a; // next > a, or 0 when nothing follows
                n = next != 0 && Long.compareUnsigned(gap, rem) < 0 ? (int) gap : rem;
                if (!write) {
                    fill(arr, buf, index + done, n, (byte) 0);
                }
                res |= MemTxResult.DECODE_ERROR;
            } else {
                long avail = s.last - a; // bytes after a in the section, minus one
                n = Long.compareUnsigned(avail, rem - 1) >= 0 ? rem : (int) (avail + 1);
                res |= piece(s, a, n, write, arr, buf, index + done);
            }
            done += n;
        }
        return res;
    }

    private int piece(Section s, long a, int n, boolean write, byte[] arr, ByteBuf buf, int index) {
        switch (s.kind) {
            case RAM: {
                RamBacking mem = s.region.ramBacking();
                if (write) {
                    if (!s.readOnly) {
                        if (arr != null) {
                            mem.write(a + s.regionDelta, arr, index, n);
                        } else {
                            mem.write(a + s.regionDelta, buf, index, n);
                        }
                    }
                } else if (arr != null) {
                    mem.read(a + s.regionDelta, arr, index, n);
                } else {
                    mem.read(a + s.regionDelta, buf, index, n);
                }
                return MemTxResult.OK;
            }
            case ROMD:
                if (!write) {
                    RamBacking mem = s.region.ramBacking();
                    if (arr != null) {
                        mem.read(a + s.regionDelta, arr, index, n);
                    } else {
                        mem.read(a + s.regionDelta, buf, index, n);
                    }
                    return MemTxResult.OK;
                }
                return mmio(s.ops, a + s.regionDelta, n, true, arr, buf, index);
            case MMIO:
                return mmio(s.ops, a + s.regionDelta, n, write, arr, buf, index);
            case P2P:
                return p2p(s, a, n, write, arr, buf, index);
            default: // FAULT
                if (!write) {
                    fill(arr, buf, index, n, (byte) 0xff);
                }
                return MemTxResult.ACCESS_ERROR;
        }
    }

    private int p2p(Section s, long a, int n, boolean write, byte[] arr, ByteBuf buf, int index) {
        // the P2P path is the slow path, but a burst of trapped accesses must not make garbage: the port hands its
        // handler one reused access and data array (bounded; a larger piece gets its own array)
        byte[] data = n <= p2pData.length ? p2pData : n <= MAX_P2P_DATA ? (p2pData = new byte[n]) : new byte[n];
        if (write) {
            copyOut(arr, buf, index, data, n);
        } else {
            Arrays.fill(data, 0, n, (byte) 0); // as a fresh array: a handler that fills nothing reads zeros
        }
        P2pAccess access = p2pAccess;
        access.set(s.bar, a + s.barDelta, n, write, data);
        int r = mediator.p2pHandler().handle(access);
        if (!write) {
            if (arr != null) {
                System.arraycopy(data, 0, arr, index, n);
            } else {
                buf.setBytes(index, data, 0, n);
            }
        }
        return r;
    }

    /** Splits an MMIO piece into accesses of the device's valid sizes (QEMU's access_with_adjusted_size). */
    private int mmio(MemoryRegionOps ops, long offset, int n, boolean write, byte[] arr, ByteBuf buf, int index) {
        int min = ops.minAccessSize();
        int max = ops.maxAccessSize();
        int done = 0;
        try {
            while (done < n) {
                int rem = n - done;
                long off = offset + done;
                int size = max;
                while (size > min && (size > rem || (off & (size - 1)) != 0)) {
                    size >>= 1;
                }
                int take = Math.min(size, rem);
                if (write) {
                    long value = 0;
                    for (int i = take - 1; i >= 0; i--) {
                        value = (value << 8) | (byteAt(arr, buf, index + done + i) & 0xffL);
                    }
                    ops.write(off, value, size);
                } else {
                    long value = ops.read(off, size);
                    for (int i = 0; i < take; i++) {
                        putByte(arr, buf, index + done + i, (byte) (value >>> (8 * i)));
                    }
                }
                done += take;
            }
        } catch (RuntimeException e) {
            // a device model that throws is a device error for the initiator; the rest of the piece is dropped
            if (!write) {
                fill(arr, buf, index + done, n - done, (byte) 0xff);
            }
            return MemTxResult.ERROR;
        }
        return MemTxResult.OK;
    }

    private static byte byteAt(byte[] arr, ByteBuf buf, int i) {
        return arr != null ? arr[i] : buf.getByte(i);
    }

    private static void putByte(byte[] arr, ByteBuf buf, int i, byte b) {
        if (arr != null) {
            arr[i] = b;
        } else {
            buf.setByte(i, b);
        }
    }

    private static void fill(byte[] arr, ByteBuf buf, int index, int n, byte b) {
        if (arr != null) {
            Arrays.fill(arr, index, index + n, b);
        } else {
            for (int i = 0; i < n; i++) {
                buf.setByte(index + i, b);
            }
        }
    }

    private static void copyOut(byte[] arr, ByteBuf buf, int index, byte[] data, int n) {
        if (arr != null) {
            System.arraycopy(arr, index, data, 0, n);
        } else {
            buf.getBytes(index, data, 0, n);
        }
    }

    @Override
    public String toString() {
        return "DmaPort(" + initiator + " on " + mediator.space().name() + ")";
    }
}
