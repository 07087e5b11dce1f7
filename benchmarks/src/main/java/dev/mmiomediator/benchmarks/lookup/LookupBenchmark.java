package dev.mmiomediator.benchmarks.lookup;

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
 * Address-to-range lookup, one thread: the mediator's dispatch against the Java collections a VMM would reach
 * for and Java renditions of the peers' designs ({@link LookupImpl}), over the same {@link RangeMap} of
 * {@code size} 4 KiB ranges, for the same addresses ({@link AddressPattern}: {@code random} over the map with
 * about one miss in nine, or {@code runs} of 64 hits per range). One op is one lookup; the result is returned
 * to JMH. The address stream is 512 KiB read in order, so every implementation pays the same for it.
 *
 * <p>{@code -prof gc} shows which designs allocate per lookup; the mediator must show 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class LookupBenchmark {
    /** Number of ranges in the map. */
    @Param({"16", "1024", "65536"})
    public int size;

    /** Which addresses are looked up ({@link AddressPattern}, lower case). */
    @Param({"random", "runs"})
    public String pattern;

    /** The design under test ({@link LookupImpl}, lower case). */
    @Param({"mediator", "treemap", "skiplist", "fastutil", "binarysearch", "branchless", "eytzinger", "chv", "crosvm", "vmmemory", "qemu"})
    public String impl;

    private RangeLookup lookup;
    private long[] addresses;
    private int next;

    /** Builds the map, the design's index over it and the addresses. */
    @Setup(Level.Trial)
    public void setUp() {
        RangeMap map = new RangeMap(size);
        lookup = LookupImpl.named(impl).over(map);
        addresses = AddressPattern.named(pattern).addresses(map, 42);
    }

    /** One lookup of the next address. */
    @Benchmark
    public Object lookup() {
        int i = next;
        next = (i + 1) & (AddressPattern.COUNT - 1);
        return lookup.find(addresses[i]);
    }
}
