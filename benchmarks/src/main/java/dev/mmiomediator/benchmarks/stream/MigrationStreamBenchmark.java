package dev.mmiomediator.benchmarks.stream;

import dev.mmiomediator.migration.stream.DeviceSection;
import dev.mmiomediator.migration.stream.MigrationImage;
import dev.mmiomediator.migration.stream.MigrationStream;
import dev.mmiomediator.migration.stream.RamSection;
import dev.mmiomediator.input.StreamFormatException;
import dev.mmiomediator.policy.QueuedWrite;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Migration stream encode and decode throughput ({@link MigrationStream#encode}, {@link MigrationStream#decode}
 * with its full validation: CRC32C per frame and over the stream, every field checked). The secondary result
 * {@code bytes} is stream bytes per second: divide by 10^6 for MB/s. Payloads: {@code states} (three devices with
 * 1 MiB of state each, plus 256 RAM pages of 4 KiB), {@code writes} (10,000 queued 8-byte P2P writes, the
 * per-entry overhead case). Random content from seed 42.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"}) // pre-touched heap: see package-info
public class MigrationStreamBenchmark {
    /** What the stream carries. */
    @Param({"states", "writes"})
    public String payload;

    private MigrationImage image;
    private ByteBuf encoded;
    private int size;

    /** Stream bytes processed, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        /** Stream bytes encoded or decoded. */
        public long bytes;

        /** Zeroes the count. */
        @Setup(Level.Iteration)
        public void clear() {
            bytes = 0;
        }
    }

    /** Builds the image and one encoded copy to decode. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        List<DeviceSection> devices = new ArrayList<>();
        List<RamSection> ram = new ArrayList<>();
        List<QueuedWrite> writes = new ArrayList<>();
        for (int d = 1; d <= 3; d++) {
            byte[] state = new byte[payload.equals("states") ? 1 << 20 : 64];
            random.nextBytes(state);
            devices.add(new DeviceSection(PciAddress.parse("0000:0" + d + ":00.0"), MigrationFlags.ALL, state));
        }
        if (payload.equals("states")) {
            for (int p = 0; p < 256; p++) {
                byte[] page = new byte[4096];
                random.nextBytes(page);
                ram.add(new RamSection("pc.ram", p * 4096L, page));
            }
        } else {
            for (int w = 0; w < 10_000; w++) {
                byte[] data = new byte[8];
                random.nextBytes(data);
                writes.add(new QueuedWrite(w, "virtio-net", devices.get(w % 3).device(), 0, 8L * (w % 512), data));
            }
        }
        image = new MigrationImage("bench", devices, ram, writes);
        encoded = MigrationStream.encode(image, ByteBufAllocator.DEFAULT);
        size = encoded.readableBytes();
    }

    /** Releases the encoded copy. */
    @TearDown(Level.Trial)
    public void tearDown() {
        encoded.release();
    }

    /** Encodes the whole image into a new pooled buffer, then releases it. */
    @Benchmark
    public int encode(Bytes bytes) {
        ByteBuf b = MigrationStream.encode(image, ByteBufAllocator.DEFAULT);
        int n = b.readableBytes();
        b.release();
        bytes.bytes += n;
        return n;
    }

    /** Validates and decodes the whole stream. */
    @Benchmark
    public MigrationImage decode(Bytes bytes) throws StreamFormatException {
        encoded.readerIndex(0);
        MigrationImage decoded = MigrationStream.decode(encoded);
        bytes.bytes += size;
        return decoded;
    }
}
