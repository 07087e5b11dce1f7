package dev.mmiomediator.benchmarks.lookup;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Address-to-section lookup: the mediator's dispatch index (and a DMA port's 8-byte RAM read, which adds the
 * last-hit check and the memory access) against {@code TreeMap.floorEntry}, over {@code size} 4 KiB RAM
 * ranges separated by holes, for uniformly random addresses (about 1 in 8 misses). The full comparison with
 * the peers' designs is the benchmarks issue's; this suite checks the hot path allocates nothing
 * ({@code -prof gc}) and gives a first figure.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LookupBenchmark {
    private static final int ADDRESSES = 1 << 16;
    private static final long STRIDE = 0x1200; // 4 KiB ranges, 512-byte holes between them

    @Param({"16", "1024", "65536"})
    public int size;

    private MediatedView view;
    private DmaPort port;
    private TreeMap<Long, long[]> treeMap;
    private long[] addresses;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion root = sys.container("system", Size.FULL);
        AddressSpace space = sys.addressSpace("memory", root);
        treeMap = new TreeMap<>();
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (int i = 0; i < size; i++) {
                long start = i * STRIDE;
                root.addSubregion(sys.ram("ram" + i, Size.of(0x1000)), start);
                treeMap.put(start, new long[] {start, start + 0xfff});
            }
        }
        Mediator mediator = new Mediator(space);
        view = mediator.view(Initiator.softwareDevice("bench"));
        port = mediator.port(Initiator.softwareDevice("bench"));
        SplittableRandom rnd = new SplittableRandom(42);
        addresses = new long[ADDRESSES];
        for (int i = 0; i < ADDRESSES; i++) {
            addresses[i] = rnd.nextLong(size * STRIDE) & ~7L;
        }
    }

    private long nextAddress() {
        int i = next;
        next = (i + 1) & (ADDRESSES - 1);
        return addresses[i];
    }

    /** The mediator's index: binary search over an immutable sorted array. */
    @Benchmark
    public int mediatorIndex() {
        return view.indexOf(nextAddress());
    }

    /** Baseline: {@code TreeMap.floorEntry} plus the end check. */
    @Benchmark
    public long[] treemap() {
        long a = nextAddress();
        Map.Entry<Long, long[]> e = treeMap.floorEntry(a);
        return e != null && a <= e.getValue()[1] ? e.getValue() : null;
    }

    /** A whole mediated 8-byte RAM read through a DMA port (lookup, last-hit check, memory access). */
    @Benchmark
    public long portRead8() {
        return port.read(nextAddress(), 8);
    }
}
