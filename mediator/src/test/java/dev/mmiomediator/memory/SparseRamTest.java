package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.mtree.MtreeImport;
import dev.mmiomediator.mtree.MtreeImporter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Sparse RAM: free until written, zero where untouched, exact across chunks, safe under racing first writes. */
class SparseRamTest {
    private static final long GIB = 1L << 30;
    private static final int CHUNK = SparseRam.CHUNK;

    @Test
    void anEightGibRegionCostsNothingUntilWritten() {
        SparseRam ram = new SparseRam(8 * GIB);
        assertEquals(0, ram.allocatedBytes());
        assertEquals(0, ram.read(0, 8));
        assertEquals(0, ram.read(4 * GIB + 3, 4));
        assertEquals(0, ram.read(8 * GIB - 8, 8));
        byte[] dst = new byte[3 * CHUNK];
        ram.read(5 * GIB - CHUNK / 2, dst, 0, dst.length);
        assertEquals(0, ram.allocatedBytes());
        ram.write(7 * GIB, 1, 1);
        assertEquals(CHUNK, ram.allocatedBytes());
    }

    @Test
    void anImportedVmWithEightGibOfRamCostsNothingWhenDevicesReadIt() throws Exception {
        String dump = String.join("\n",
                "address-space: memory",
                "  0000000000000000-ffffffffffffffff (prio 0, i/o): system",
                "    0000000000000000-000000007fffffff (prio 0, ram): alias ram-below-4g @pc.ram "
                        + "0000000000000000-000000007fffffff",
                "    0000000100000000-000000027fffffff (prio 0, ram): alias ram-above-4g @pc.ram "
                        + "0000000080000000-00000001ffffffff",
                "",
                "memory-region: pc.ram",
                "  0000000000000000-00000001ffffffff (prio 0, ram): pc.ram",
                "");
        MtreeImport imported = new MtreeImporter().importTree(new StringReader(dump), "8g.txt");
        AddressSpace memory = imported.addressSpaces().get(0);
        Mediator mediator = new Mediator(memory);
        MemoryRegion pcRam = memory.flatView().rangeAt(0x1000).region();
        assertEquals(Size.of(8 * GIB), pcRam.size());
        SparseRam backing = assertInstanceOf(SparseRam.class, pcRam.ramBacking());
        DmaPort nic = mediator.port(Initiator.softwareDevice("virtio-net"));
        byte[] dst = new byte[4096];
        for (long a : new long[] {0, 0x7ffff000L, 0x100000000L, 0x27ffff000L}) {
            assertEquals(MemTxResult.OK, nic.read(a, dst, 0, dst.length));
        }
        assertEquals(0, backing.allocatedBytes());
        nic.write(0x200000000L, 8, 42); // pc.ram offset 0x180000000
        assertEquals(CHUNK, backing.allocatedBytes());
        assertEquals(42, backing.read(0x180000000L, 8));
    }

    @Test
    void theLargestSizeCostsNothingUntilWrittenAndWorksAtBothEnds() {
        for (long size : new long[] {1L << 62, 1L << 50, 1L << 47}) {
            SparseRam ram = new SparseRam(size);
            assertEquals(0, ram.read(size - 8, 8));
            ram.write(size - 8, 8, 0x0102030405060708L);
            ram.write(0, 2, 0x0a0b);
            ram.write((1L << 46) - 1, 2, 0x1234); // across a chunk, a directory and a group boundary
            assertEquals(0x0102030405060708L, ram.read(size - 8, 8));
            assertEquals(0x0a0b, ram.read(0, 2));
            assertEquals(0x1234, ram.read((1L << 46) - 1, 2));
            assertEquals(4L * CHUNK, ram.allocatedBytes(), Size.hex(size));
        }
    }

    @Test
    void untouchedMemoryReadsZeroThroughEveryMethod() {
        SparseRam ram = new SparseRam(4 * CHUNK);
        for (int size : new int[] {1, 2, 4, 8}) {
            assertEquals(0, ram.read(CHUNK - 1, size));
        }
        byte[] dst = new byte[CHUNK + 10];
        Arrays.fill(dst, (byte) 0x55);
        ram.read(CHUNK / 2, dst, 5, CHUNK);
        for (int i = 5; i < CHUNK + 5; i++) {
            assertEquals(0, dst[i]);
        }
        assertEquals(0x55, dst[4]);
        assertEquals(0x55, dst[CHUNK + 5]);
        ByteBuf buf = Unpooled.buffer(32).writeBytes(new byte[32]);
        buf.setBytes(0, new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        ram.read(3 * CHUNK - 8, buf, 4, 16);
        assertEquals(1, buf.getByte(3));
        for (int i = 4; i < 16; i++) {
            assertEquals(0, buf.getByte(i));
        }
        assertEquals(0, ram.allocatedBytes());
    }

    @Test
    void aValueWriteAcrossAChunkBoundaryLandsInBothChunks() {
        SparseRam ram = new SparseRam(4 * CHUNK);
        ram.write(CHUNK - 3, 8, 0x8877665544332211L);
        assertEquals(0x8877665544332211L, ram.read(CHUNK - 3, 8));
        assertEquals(0x332211, ram.read(CHUNK - 3, 4) & 0xffffff);
        assertEquals(0x44, ram.read(CHUNK, 1));
        assertEquals(0x88776655L, ram.read(CHUNK + 1, 4) & 0xffffffffL);
        assertEquals(2L * CHUNK, ram.allocatedBytes());
    }

    @Test
    void aBulkWriteAcrossChunksIsReadBackWhole() {
        SparseRam ram = new SparseRam(8 * CHUNK);
        byte[] src = new byte[3 * CHUNK + 7];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 31 + 7);
        }
        ram.write(CHUNK / 2, src, 0, src.length);
        assertEquals(4L * CHUNK, ram.allocatedBytes());
        byte[] back = new byte[src.length];
        ram.read(CHUNK / 2, back, 0, back.length);
        assertArrayEquals(src, back);
        ByteBuf buf = Unpooled.directBuffer(src.length);
        try {
            ram.read(CHUNK / 2, buf, 0, src.length);
            for (int i = 0; i < src.length; i += 997) {
                assertEquals(src[i], buf.getByte(i));
            }
            buf.setByte(0, 0x7f);
            ram.write(CHUNK / 2, buf, 0, 1);
            assertEquals(0x7f, ram.read(CHUNK / 2, 1));
        } finally {
            buf.release();
        }
    }

    @Test
    void byteBufCopiesMoveNoIndex() {
        SparseRam ram = new SparseRam(CHUNK);
        ByteBuf buf = Unpooled.buffer(16).writeBytes(new byte[] {1, 2, 3, 4});
        buf.readerIndex(1);
        ram.write(0, buf, 0, 4);
        ram.read(0, buf, 8, 4);
        assertEquals(1, buf.readerIndex());
        assertEquals(4, buf.writerIndex());
        assertEquals(0x04030201, ram.read(0, 4));
        assertEquals(0x04030201, buf.getIntLE(8));
    }

    @Test
    void concurrentFirstWritesToOneChunkLoseNothing() throws Exception {
        int threads = 8;
        int rounds = 200;
        SparseRam ram = new SparseRam((long) rounds * CHUNK);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> workers = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        long base = (long) r * CHUNK;
                        start.await(10, TimeUnit.SECONDS);
                        // every thread's first write races to create the chunk; the methods vary by thread
                        switch (id % 3) {
                            case 0: ram.write(base + 8L * id, 8, 0x0101010101010101L * (id + 1)); break;
                            case 1: ram.write(base + 8L * id, fill(id), 0, 8); break;
                            default: ram.write(base + 8L * id, Unpooled.wrappedBuffer(fill(id)), 0, 8); break;
                        }
                        ram.write(base + CHUNK - 1 - id, 1, id + 1);
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            }, "first-writer-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(30_000);
        }
        assertTrue(errors.isEmpty(), () -> "worker failed: " + errors);
        for (int r = 0; r < rounds; r++) {
            long base = (long) r * CHUNK;
            for (int id = 0; id < threads; id++) {
                assertEquals(0x0101010101010101L * (id + 1), ram.read(base + 8L * id, 8),
                        "round " + r + ", thread " + id + ": its first write was lost");
                assertEquals(id + 1, ram.read(base + CHUNK - 1 - id, 1), "round " + r + ", thread " + id);
            }
        }
        assertEquals((long) rounds * CHUNK, ram.allocatedBytes());
    }

    private static byte[] fill(int id) {
        byte[] b = new byte[8];
        Arrays.fill(b, (byte) (id + 1));
        return b;
    }

    @Test
    void sizesOutsideZeroToTwoToThe62AreRejectedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SparseRam(-1));
        assertTrue(e.getMessage().contains("0xffffffffffffffff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SparseRam((1L << 62) + 1));
        assertTrue(e.getMessage().contains("0x4000000000000001"), e.getMessage());
        assertEquals(0, new SparseRam(0).size());
        assertEquals(1L << 62, new SparseRam(1L << 62).size());
    }

    /** The pages a migration carries: only those with a non-zero byte, by offset, wherever they are in 64 GiB. */
    @Test
    void nonZeroPagesAreTheWrittenPagesOnlyInAscendingOrder() {
        SparseRam ram = new SparseRam(64L << 30);
        ram.write((40L << 30) + 0x1ff8, 8, 7);
        ram.write(0x3000, 1, 1);
        ram.write(0x5000, 8, 0); // allocates a chunk, stays zero
        java.util.NavigableMap<Long, byte[]> pages = ram.nonZeroPages(4096);
        assertEquals(java.util.List.of(0x3000L, (40L << 30) + 0x1000), java.util.List.copyOf(pages.keySet()));
        assertEquals(7, pages.get((40L << 30) + 0x1000)[0xff8]);
        assertEquals(1, pages.get(0x3000L)[0]);
        assertThrows(IllegalArgumentException.class, () -> ram.nonZeroPages(3000));
    }
}
