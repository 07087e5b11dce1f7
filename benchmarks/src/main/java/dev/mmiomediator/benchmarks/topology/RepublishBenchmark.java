package dev.mmiomediator.benchmarks.topology;

import dev.mmiomediator.benchmarks.lookup.RangeMap;
import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.RepublishSteps;
import dev.mmiomediator.memory.FlatView;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a topology change costs the writer before readers see it, over a {@link RangeMap} of {@code size} RAM
 * ranges:
 *
 * <ul>
 *   <li>{@code buildView}: {@link MediatedView#build} of the device view from an already rendered flat view:
 *       the sections, the primitive arrays and the bucket table.</li>
 *   <li>{@code views}: both views of an already rendered flat view, as {@link dev.mmiomediator.dma.Mediator}
 *       builds them on every commit: the vCPU view, then the device view derived from it
 *       ({@link RepublishSteps#devicesOf}). This is the mediator's whole share of a republish; the rest of
 *       {@code commit} is the memory system's re-render.</li>
 *   <li>{@code republish}: the same two views as a commit really builds them after one range appeared or
 *       disappeared: from the new flat view, the previous flat view and the previous vCPU view, so the sections of
 *       unchanged ranges are reused ({@link RepublishSteps#vcpuViewOf}).</li>
 *   <li>{@code commit}: a whole republish as an emulator triggers it: one region enabled or disabled, the memory
 *       system re-renders the flat view (the window the region covers, spliced into the previous view), the
 *       mediator builds the vCPU and the device views and publishes each with one volatile store.</li>
 *   <li>{@code commitMove}: the same for one range of the map moved by 256 bytes and back (a guest reprogramming
 *       a BAR): the container's children change order, so its address index is rebuilt too.</li>
 *   <li>{@code transaction100}: 100 ranges spread over the map enabled or disabled in one transaction, committed
 *       once (QEMU's batching of a device state load).</li>
 *   <li>{@code renderWhole}: a whole render of the map's tree, the flat view alone, as every commit did before
 *       commits became incremental (the yardstick of {@code transaction100}).</li>
 * </ul>
 *
 * <p>There is no baseline in another design: the peers' writers insert into a locked map instead (see the
 * writer of {@link dev.mmiomediator.benchmarks.lookup.ConcurrentLookupBenchmark}), and pay on every read.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class RepublishBenchmark {
    /** Number of ranges in the map. */
    @Param({"1024", "65536"})
    public int size;

    private RangeMap.MediatorTopology topology;
    private FlatView flat;
    /** Two successive flat views: without and with the spare range; and the latest vCPU view of each. */
    private final FlatView[] flats = new FlatView[2];
    private final MediatedView[] vcpus = new MediatedView[2];
    private int at;
    private MemoryRegion moved;
    private long movedFrom;
    private MemoryRegion[] batch;

    /** Builds and renders the map. */
    @Setup(Level.Trial)
    public void setUp() {
        topology = new RangeMap(size).mediator();
        flat = topology.mediator().space().flatView();
        flats[0] = flat;
        topology.toggle(); // rendered with flats[0] as the previous view, as a commit does
        flats[1] = topology.mediator().space().flatView();
        topology.toggle();
        vcpus[0] = MediatedView.build(flats[0], true, false);
        vcpus[1] = RepublishSteps.vcpuViewOf(flats[1], flats[0], vcpus[0]);
        List<MemoryRegion> ranges = topology.root().subregions();
        moved = ranges.get(ranges.size() / 2);
        movedFrom = moved.address();
        batch = new MemoryRegion[TRANSACTION];
        for (int i = 0; i < TRANSACTION; i++) {
            batch[i] = ranges.get((int) ((long) i * ranges.size() / TRANSACTION));
        }
    }

    /** Changes in {@link #transaction100()}. */
    static final int TRANSACTION = 100;

    /** Builds the device view of the rendered map. */
    @Benchmark
    public MediatedView buildView() {
        return MediatedView.build(flat, false, false);
    }

    /** Builds the vCPU view and the device view of the rendered map, as a commit does. */
    @Benchmark
    public MediatedView views() {
        MediatedView vcpu = MediatedView.build(flat, true, false);
        return RepublishSteps.devicesOf(vcpu, flat, false);
    }

    /** Both views after one range appeared or disappeared, reusing the previous vCPU view's sections. */
    @Benchmark
    public MediatedView republish() {
        int from = at;
        at ^= 1;
        MediatedView vcpu = RepublishSteps.vcpuViewOf(flats[at], flats[from], vcpus[from]);
        vcpus[at] = vcpu;
        return RepublishSteps.devicesOf(vcpu, flats[at], false);
    }

    /** One topology change, rendered, mediated and published. */
    @Benchmark
    public void commit() {
        topology.toggle();
    }

    /** One range moved (by 256 bytes, or back), rendered, mediated and published. */
    @Benchmark
    public void commitMove() {
        moved.setAddress(moved.address() == movedFrom ? movedFrom + 0x100 : movedFrom);
    }

    /** {@value #TRANSACTION} ranges enabled or disabled in one transaction: one commit. */
    @Benchmark
    public void transaction100() {
        MemorySystem sys = topology.system();
        try (MemorySystem.Transaction tx = sys.begin()) {
            for (MemoryRegion r : batch) {
                r.setEnabled(!r.isEnabled());
            }
        }
    }

    /** A whole render of the map's tree (the flat view only). */
    @Benchmark
    public FlatView renderWhole() {
        return topology.system().render(topology.root());
    }
}
