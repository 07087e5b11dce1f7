package dev.mmiomediator.benchmarks.topology;

import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Rendering a region tree of {@value #REGIONS} regions into its flat view (QEMU's {@code generate_memory_topology}),
 * the first half of every republish. The tree: a 2^64 root holding 4 GiB of RAM (priority 0) and
 * {@value #BUSES} bus containers of 16 MiB over it (priority 1); the remaining regions are 4 KiB leaves spread
 * over the buses at a 64 KiB stride, alternately RAM, MMIO and an alias into the RAM, so rendering must
 * clip, fall through container holes to the RAM below and split it around every leaf.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class RenderBenchmark {
    /** Regions in the tree, the root included. */
    public static final int REGIONS = 10_000;
    /** Bus containers in the tree. */
    public static final int BUSES = 100;
    private static final long BUS_SIZE = 16L << 20;
    private static final long LEAF_STRIDE = 64L << 10;
    private static final long LEAF_SIZE = 4L << 10;

    private MemorySystem sys;
    private MemoryRegion root;

    /** Builds the tree (deterministic). */
    @Setup(Level.Trial)
    public void setUp() {
        sys = new MemorySystem();
        root = sys.container("system", Size.FULL);
        sys.addressSpace("memory", root);
        try (MemorySystem.Transaction tx = sys.begin()) {
            MemoryRegion ram = sys.ram("pc.ram", Size.of(4L << 30));
            root.addSubregion(ram, 0, 0);
            MemoryRegion[] buses = new MemoryRegion[BUSES];
            for (int b = 0; b < BUSES; b++) {
                buses[b] = sys.container("bus" + b, Size.of(BUS_SIZE));
                root.addSubregion(buses[b], b * BUS_SIZE * 2, 1);
            }
            int leaves = REGIONS - 2 - BUSES;
            for (int i = 0; i < leaves; i++) {
                MemoryRegion leaf = switch (i % 3) {
                    case 0 -> sys.ram("ram" + i, Size.of(LEAF_SIZE));
                    case 1 -> sys.mmio("mmio" + i, Size.of(LEAF_SIZE), MemoryRegionOps.UNASSIGNED);
                    default -> sys.alias("alias" + i, ram, i * LEAF_SIZE, Size.of(LEAF_SIZE));
                };
                buses[i % BUSES].addSubregion(leaf, (i / BUSES) * LEAF_STRIDE);
            }
        }
    }

    /** Renders the tree. */
    @Benchmark
    public FlatView render() {
        return sys.render(root);
    }
}
