package dev.mmiomediator.benchmarks.topology;

import dev.mmiomediator.benchmarks.lookup.RangeMap;
import dev.mmiomediator.dma.MediatedView;
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
 *       ({@link MediatedView#devicesOf}). This is the mediator's whole share of a republish; the rest of
 *       {@code commit} is the memory system's re-render.</li>
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

    /** Builds and renders the map. */
    @Setup(Level.Trial)
    public void setUp() {
        topology = new RangeMap(size).mediator();
        flat = topology.mediator().space().flatView();
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
        return MediatedView.devicesOf(vcpu, flat, false);
    }

    /** One topology change, rendered, mediated and published. */
    @Benchmark
    public void commit() {
        topology.toggle();
    }
}
