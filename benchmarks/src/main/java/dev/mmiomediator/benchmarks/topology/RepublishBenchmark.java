package dev.mmiomediator.benchmarks.topology;

import dev.mmiomediator.benchmarks.lookup.RangeMap;
import dev.mmiomediator.dma.MediatedView;
import dev.mmiomediator.dma.RepublishSteps;
import dev.mmiomediator.memory.FlatView;
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
 *       system re-renders the flat view, the mediator builds the vCPU and the device views and publishes each
 *       with one volatile store.</li>
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
    }

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
}
