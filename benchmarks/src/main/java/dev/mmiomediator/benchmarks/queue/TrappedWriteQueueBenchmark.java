package dev.mmiomediator.benchmarks.queue;

import org.jctools.queues.MpscArrayQueue;
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
import org.openjdk.jmh.infra.Control;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Enqueueing trapped writes ({@link TrappedWrite}) from several device threads while one thread drains them,
 * the shape of queue-and-replay during a migration: two producers and one consumer in a JMH group. The
 * design's queue is a bounded jctools {@link MpscArrayQueue} (no allocation per element, one atomic increment
 * of the producer index per offer); the baseline is the JDK's unbounded {@link ConcurrentLinkedQueue} (a node
 * allocated and a compare-and-swap per offer). A producer whose bounded queue is full yields and retries, so
 * back-pressure shows as time; it gives up when the iteration ends, as the drain has stopped by then. The
 * unbounded baseline never pushes back: when the producers outrun the drain, it grows, and the collector's
 * work shows as time.
 *
 * <p>Producers offer records built in setup (a ring of {@value #RECORDS} per thread with 8 bytes of data each)
 * so that the measurement is the queue, not the record's allocation. Reported: {@code enqueue} ns/op per
 * producer, and {@code drain} ns/op per poll (a poll may find the queue empty).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class TrappedWriteQueueBenchmark {
    /** Records per producer thread. */
    public static final int RECORDS = 1024;
    /** Capacity of the bounded queue. */
    public static final int CAPACITY = 1 << 16;

    /** The queue, one per group. */
    @State(Scope.Group)
    public static class Shared {
        /** {@code mpsc} (jctools, bounded) or {@code clq} (JDK, unbounded). */
        @Param({"mpsc", "clq"})
        public String queue;

        Queue<TrappedWrite> q;

        /** Creates the queue. */
        @Setup(Level.Trial)
        public void setUp() {
            q = queue.equals("mpsc") ? new MpscArrayQueue<>(CAPACITY) : new ConcurrentLinkedQueue<>();
        }
    }

    /** One producer's records. */
    @State(Scope.Thread)
    public static class Producer {
        TrappedWrite[] records;
        int next;

        /** Builds this thread's records: initiator = thread index, consecutive sequence numbers. */
        @Setup(Level.Trial)
        public void setUp(ThreadParams thread) {
            records = new TrappedWrite[RECORDS];
            for (int i = 0; i < RECORDS; i++) {
                records[i] = new TrappedWrite(i, thread.getThreadIndex(), 1, 0, i * 8L, 8, new byte[8]);
            }
        }
    }

    /** A device thread traps a write. */
    @Benchmark
    @Group("trap")
    @GroupThreads(2)
    public void enqueue(Shared shared, Producer producer, Control control) {
        int i = producer.next;
        producer.next = (i + 1) & (RECORDS - 1);
        TrappedWrite w = producer.records[i];
        while (!shared.q.offer(w) && !control.stopMeasurement) { // the drain may have stopped for this iteration
            Thread.yield();
        }
    }

    /** The replaying thread takes the next write, or null. */
    @Benchmark
    @Group("trap")
    @GroupThreads(1)
    public TrappedWrite drain(Shared shared) {
        return shared.q.poll();
    }
}
