package dev.mmiomediator.benchmarks.policy;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.migration.AbortSwitch;
import dev.mmiomediator.policy.PolicyEngine;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vfio.PassthroughDevice;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The P2P slow path per built-in policy: a software device's mediated 8-byte write into a passthrough BAR,
 * through the {@link PolicyEngine}, with the target {@code running} (every built-in but {@code fail-always}
 * forwards) or {@code stopped} (STOP: {@code fail-always} and {@code require-p2p} master-abort,
 * {@code queue-and-replay} queues, {@code abort-migration} asks to abort and holds the write). Held writes are
 * replayed every {@value #REPLAY_EVERY} writes by moving the device to RUNNING and back to STOP, inside the
 * measured method, so the {@code stopped} figure for the two holding policies is the whole cost of a held write:
 * enqueue, replay and its share of two transitions. {@code ramWrite} is the fast path (a mediated write into
 * RAM, no policy consulted) on the same map, for scale.
 *
 * <p>The map is a {@link P2pMap}: the BAR behind the target is a plain heap buffer (what an mmap'ed BAR costs), not
 * a simulated device, so the figure is the mediator's and the engine's. Reads: {@link P2pReadBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class P2pSlowPathBenchmark {
    private static final int REPLAY_EVERY = 1024;

    /** The built-in policy. */
    @Param({"fail-always", "abort-migration", "queue-and-replay", "require-p2p"})
    public String policy;

    /** The target's state. */
    @Param({"running", "stopped"})
    public String target;

    private DmaPort port;
    private PassthroughDevice device;
    private AbortSwitch abort;
    private boolean stopped;
    private int n;

    /** Builds RAM and one passthrough BAR, the engine with the policy, and the port. */
    @Setup(Level.Trial)
    public void setUp() {
        P2pMap map = new P2pMap(policy);
        port = map.port();
        device = map.device();
        abort = map.abort();
        stopped = target.equals("stopped");
        if (stopped) {
            device.transition(MigrationState.STOP);
        }
    }

    /** Replays whatever is still held, so nothing outlives the trial. */
    @TearDown(Level.Trial)
    public void tearDown() {
        device.transition(MigrationState.RUNNING);
    }

    /** One mediated 8-byte write into the BAR; returns the MemTxResult bits. */
    @Benchmark
    public int p2pWrite() {
        int i = n++;
        if (stopped && (i & (REPLAY_EVERY - 1)) == REPLAY_EVERY - 1) {
            device.transition(MigrationState.RUNNING);
            device.transition(MigrationState.STOP);
            abort.clear();
        }
        return port.write(P2pMap.BAR_ADDR + ((i * 8L) & (P2pMap.BAR_SIZE - 1)), 8, i);
    }

    /** The fast path on the same map: a mediated 8-byte write into RAM. */
    @Benchmark
    public int ramWrite() {
        int i = n++;
        return port.write((i * 8L) & 0xfffff, 8, i);
    }
}
