package dev.mmiomediator.benchmarks.dma;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Mediated DMA into guest RAM through a {@link DmaPort}, each next to its baseline: the same access made
 * directly on the netty {@link ByteBuf} that backs the RAM ({@link ByteBufRam}), at the same offsets. The
 * baseline is the cost of the memory access itself; the difference is what mediation adds (view read, last-hit
 * check, kind and bounds checks, the backing's dispatch).
 *
 * <ul>
 *   <li>8-byte reads and writes, {@code seq} (the next 8 bytes each op, wrapping over 1 MiB) and {@code random}
 *       (8-byte aligned, uniform over the 64 MiB of RAM, from a fixed table of offsets).</li>
 *   <li>4 KiB bulk copies into and out of a direct {@code ByteBuf} (a device's DMA buffer), at random 4 KiB
 *       aligned offsets.</li>
 * </ul>
 *
 * <p>The guest map is RAM at 0 plus a few MMIO regions and a hole, so the view is not trivial; a software
 * device's port is used (the device view). Run with {@code -prof gc}: the mediated paths must show 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class DmaBenchmark {
    private static final int RAM_SIZE = 64 << 20;
    private static final int SEQ_MASK = (1 << 20) - 1;
    private static final int OFFSETS = 1 << 16;
    private static final int BULK = 4096;

    private ByteBuf ram;
    private ByteBuf buffer;
    private DmaPort port;
    private int[] randomOffsets;
    private int[] pageOffsets;
    private int seq;
    private int next;
    private long value;

    /** Builds the guest map, its RAM over a direct buffer, the port and the offset tables (seed 42). */
    @Setup(Level.Trial)
    public void setUp() {
        ram = Unpooled.directBuffer(RAM_SIZE, RAM_SIZE);
        ram.setZero(0, RAM_SIZE);
        buffer = Unpooled.directBuffer(BULK, BULK);
        buffer.writeZero(BULK);
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        AddressSpace memory = sys.addressSpace("memory", system);
        try (MemorySystem.Transaction tx = sys.begin()) {
            MemoryRegion guestRam = sys.ram("pc.ram", Size.of(RAM_SIZE));
            guestRam.setRamBacking(new ByteBufRam(ram));
            system.addSubregion(guestRam, 0);
            for (int i = 0; i < 8; i++) {
                system.addSubregion(sys.mmio("dev" + i, Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0xfe000000L + i * 0x2000L);
            }
        }
        port = new Mediator(memory).port(Initiator.softwareDevice("virtio-blk"));
        SplittableRandom rnd = new SplittableRandom(42);
        randomOffsets = new int[OFFSETS];
        pageOffsets = new int[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            randomOffsets[i] = rnd.nextInt(RAM_SIZE) & ~7;
            pageOffsets[i] = rnd.nextInt(RAM_SIZE) & ~(BULK - 1);
        }
    }

    /** Releases the buffers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        ram.release();
        buffer.release();
    }

    private int nextSeq() {
        int s = seq;
        seq = (s + 8) & SEQ_MASK;
        return s;
    }

    private int nextIndex() {
        int i = next;
        next = (i + 1) & (OFFSETS - 1);
        return i;
    }

    /** Mediated 8-byte read, sequential. */
    @Benchmark
    public long read8SeqMediated() {
        return port.read(nextSeq(), 8);
    }

    /** Baseline: the same read on the RAM's buffer. */
    @Benchmark
    public long read8SeqRaw() {
        return ram.getLongLE(nextSeq());
    }

    /** Mediated 8-byte read, random. */
    @Benchmark
    public long read8RandomMediated() {
        return port.read(randomOffsets[nextIndex()], 8);
    }

    /** Baseline: the same read on the RAM's buffer. */
    @Benchmark
    public long read8RandomRaw() {
        return ram.getLongLE(randomOffsets[nextIndex()]);
    }

    /** Mediated 8-byte write, sequential; the result bits are returned. */
    @Benchmark
    public int write8SeqMediated() {
        return port.write(nextSeq(), 8, ++value);
    }

    /** Baseline: the same write on the RAM's buffer. */
    @Benchmark
    public ByteBuf write8SeqRaw() {
        return ram.setLongLE(nextSeq(), ++value);
    }

    /** Mediated 8-byte write, random. */
    @Benchmark
    public int write8RandomMediated() {
        return port.write(randomOffsets[nextIndex()], 8, ++value);
    }

    /** Baseline: the same write on the RAM's buffer. */
    @Benchmark
    public ByteBuf write8RandomRaw() {
        return ram.setLongLE(randomOffsets[nextIndex()], ++value);
    }

    /** Mediated 4 KiB read of guest memory into the device's buffer. */
    @Benchmark
    public int bulkReadMediated() {
        buffer.clear();
        return port.read(pageOffsets[nextIndex()], buffer, BULK);
    }

    /** Baseline: the same copy between the two buffers. */
    @Benchmark
    public ByteBuf bulkReadRaw() {
        buffer.clear();
        return buffer.writeBytes(ram, pageOffsets[nextIndex()], BULK);
    }

    /** Mediated 4 KiB write of the device's buffer into guest memory. */
    @Benchmark
    public int bulkWriteMediated() {
        buffer.readerIndex(0);
        return port.write(pageOffsets[nextIndex()], buffer, BULK);
    }

    /** Baseline: the same copy between the two buffers. */
    @Benchmark
    public ByteBuf bulkWriteRaw() {
        buffer.readerIndex(0);
        return ram.setBytes(pageOffsets[nextIndex()], buffer, 0, BULK);
    }
}
