package dev.mmiomediator.benchmarks.lookup;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.concurrent.TimeUnit;

/**
 * Lookups from reader threads (vCPUs and device threads dispatching in parallel), without and with a thread that
 * republishes the map continuously, for the designs that support a writer: the mediator (each republish is a real
 * topology change: re-render, patch both views, one volatile store each), and the cloud-hypervisor and crosvm
 * renditions (insert or remove a device under the write lock or the mutex). The map is {@link RangeMap} of 1,024
 * ranges, random addresses ({@link AddressPattern#RANDOM}), a different seed per reader. JMH reports each group
 * and, per method, the readers' time and the writer's {@code republish} time.
 *
 * <p>The republishing writer never changes what the readers find (it toggles a range above the map;
 * {@code LookupImplTest} checks every design's answers after republishing). Each case has a control: the same
 * readers next to a thread that only burns CPU and touches no shared memory, so that the writer's own effect
 * (the cache lines of each new view, the write lock, the garbage of the old views) is told apart from sharing
 * the CPU. Two sets of groups:
 * <ul>
 *   <li>one reader ({@code oneReader}, {@code oneReaderWithWriter}, {@code oneReaderWithBusyThread}): at most two
 *       busy threads, so on a two-core machine each has a core, and {@code oneReadWhileRepublishing} against
 *       {@code oneReadBesideBusyThread} is the writer's cost to a reader (issue 16's target: at most 1.1x);</li>
 *   <li>two readers ({@code readers}, {@code readersWithWriter}, {@code readersWithBusyThread}): three busy threads
 *       with the writer or the control, which on two cores measures mostly the scheduler; kept for machines with
 *       more cores, and for the lock-based designs, whose readers contend with each other.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class ConcurrentLookupBenchmark {
    /** Work per op of the control's busy thread (JMH tokens, about 2 us here). */
    private static final long BUSY_TOKENS = 1024;

    /** The map and the design's shared structure, one per group. */
    @State(Scope.Group)
    public static class Shared {
        /** The design under test: {@code mediator}, {@code chv} or {@code crosvm}. */
        @Param({"mediator", "chv", "crosvm"})
        public String impl;

        RangeMap map;
        RangeMap.MediatorTopology topology;
        RangeLookup shared;

        /** Builds the map and the design's structure. */
        @Setup(Level.Trial)
        public void setUp() {
            map = new RangeMap(1024);
            if (impl.equals("mediator")) {
                topology = map.mediator();
            } else {
                shared = LookupImpl.named(impl).over(map);
            }
        }

        /** A thread's handle: the mediator's is per thread (like a DMA port), the others are shared. */
        RangeLookup handle() {
            return topology != null ? new MediatorLookup(topology) : shared;
        }
    }

    /** One thread's handle and addresses. */
    @State(Scope.Thread)
    public static class Reader {
        RangeLookup lookup;
        long[] addresses;
        int next;

        /** Takes a handle and this thread's addresses (seeded by thread index). */
        @Setup(Level.Trial)
        public void setUp(Shared shared, ThreadParams thread) {
            lookup = shared.handle();
            addresses = AddressPattern.RANDOM.addresses(shared.map, 42 + thread.getThreadIndex());
        }

        Object lookupNext() {
            int i = next;
            next = (i + 1) & (AddressPattern.COUNT - 1);
            return lookup.find(addresses[i]);
        }
    }

    // ---------------------------------------------------------------- one reader: two busy threads at most

    /** One reader, no writer. */
    @Benchmark
    @Group("oneReader")
    @GroupThreads(1)
    public Object oneRead(Reader reader) {
        return reader.lookupNext();
    }

    /** One reader while {@link #oneRepublish} runs. */
    @Benchmark
    @Group("oneReaderWithWriter")
    @GroupThreads(1)
    public Object oneReadWhileRepublishing(Reader reader) {
        return reader.lookupNext();
    }

    /** The writer next to one reader: republishes the map, over and over. */
    @Benchmark
    @Group("oneReaderWithWriter")
    @GroupThreads(1)
    public void oneRepublish(Reader writer) {
        writer.lookup.republish();
    }

    /** Control: one reader next to a thread that only burns CPU. */
    @Benchmark
    @Group("oneReaderWithBusyThread")
    @GroupThreads(1)
    public Object oneReadBesideBusyThread(Reader reader) {
        return reader.lookupNext();
    }

    /** The busy thread of the one-reader control: computes, touches no shared memory. */
    @Benchmark
    @Group("oneReaderWithBusyThread")
    @GroupThreads(1)
    public void oneBusy() {
        Blackhole.consumeCPU(BUSY_TOKENS);
    }

    // ---------------------------------------------------------------- two readers: three busy threads with a third

    /** Two readers, no writer. */
    @Benchmark
    @Group("readers")
    @GroupThreads(2)
    public Object read(Reader reader) {
        return reader.lookupNext();
    }

    /** Two readers while {@link #republish} runs. */
    @Benchmark
    @Group("readersWithWriter")
    @GroupThreads(2)
    public Object readWhileRepublishing(Reader reader) {
        return reader.lookupNext();
    }

    /** The writer next to two readers: republishes the map, over and over. */
    @Benchmark
    @Group("readersWithWriter")
    @GroupThreads(1)
    public void republish(Reader writer) {
        writer.lookup.republish();
    }

    /** Control: two readers next to a thread that only burns CPU, to tell CPU sharing from the writer's effect. */
    @Benchmark
    @Group("readersWithBusyThread")
    @GroupThreads(2)
    public Object readBesideBusyThread(Reader reader) {
        return reader.lookupNext();
    }

    /** The busy thread of the two-reader control: computes, touches no shared memory. */
    @Benchmark
    @Group("readersWithBusyThread")
    @GroupThreads(1)
    public void busy() {
        Blackhole.consumeCPU(BUSY_TOKENS);
    }
}
