package dev.mmiomediator.benchmarks.policy;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.vfio.MigrationState;
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
 * The P2P slow path for reads, per decision the engine carries out at once: a software device's mediated 8-byte
 * read from a passthrough BAR through the {@link dev.mmiomediator.policy.PolicyEngine}, under {@code require-p2p}
 * (QEMU's rule), the target {@code running} (FORWARD: the read is performed on the BAR) or {@code stopped} (FAIL:
 * master abort, all-ones). A read is never held; the holding policies' reads of a stopped target wait for it, which
 * is not a per-access cost. Same map as {@link P2pSlowPathBenchmark} ({@link P2pMap}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class P2pReadBenchmark {
    /** The target's state: {@code running} (the policy forwards) or {@code stopped} (it fails the read). */
    @Param({"running", "stopped"})
    public String target;

    private DmaPort port;
    private int n;

    /** Builds the map with {@code require-p2p} and stops the device if asked. */
    @Setup(Level.Trial)
    public void setUp() {
        P2pMap map = new P2pMap("require-p2p");
        port = map.port();
        if (target.equals("stopped")) {
            map.device().transition(MigrationState.STOP);
        }
    }

    /** One mediated 8-byte read from the BAR; returns the value (all-ones when failed). */
    @Benchmark
    public long p2pRead() {
        int i = n++;
        return port.read(P2pMap.BAR_ADDR + ((i * 8L) & (P2pMap.BAR_SIZE - 1)), 8);
    }
}
