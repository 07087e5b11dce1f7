package dev.mmiomediator.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.vfio.MigrationData;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import dev.mmiomediator.vm.MediatedVm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's "Embedding the mediator" example, compiled and run with the built-in policies on the class path:
 * the README shows the body of {@link #embeddingExample()} verbatim, which {@link #theReadmeShowsThisExample()}
 * checks.
 */
class EmbeddingExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path THIS = Path.of("src", "test", "java", "dev", "mmiomediator", "policies",
            "EmbeddingExampleTest.java");

    /** What the README calls {@code vfioDriver}: the emulator's VFIO migration driver, here one that only moves. */
    private final MigrationDriver vfioDriver = new MigrationDriver() {
        @Override
        public MigrationData arc(MigrationState from, MigrationState to) {
            return null; // the example never saves or resumes, so no arc opens a session
        }

        @Override
        public void reset() {
        }
    };

    @Test
    void embeddingExample() {
        // The guest's memory map, as the board code builds it (QEMU's memory API, same words).
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion bar0 = sys.container("0000:01:00.0 BAR 0", Size.of(0x4000)); // a VFIO BAR as QEMU builds it
        bar0.addSubregion(sys.ramDevice("0000:01:00.0 BAR 0 mmaps[0]", Size.of(0x4000)), 0);
        system.addSubregion(sys.ram("pc.ram", Size.of(64 << 20)), 0);
        system.addSubregion(bar0, 0xfe000000L);

        // One builder declares the NIC, registers it with the policy engine and plugs the engine in.
        PciAddress nic = PciAddress.parse("0000:01:00.0");
        MediatedVm vm = MediatedVm.builder(sys.addressSpace("memory", system))
                .passthrough(nic, MigrationFlags.WITH_P2P, vfioDriver, Map.of(0, bar0))
                .policy("queue-and-replay")                          // or .policy(aP2pPolicy)
                .build();
        DmaPort virtioNet = vm.port(Initiator.softwareDevice("virtio-net")); // one port per initiator thread
        DmaPort cpu = vm.port(Initiator.vcpu());

        // A peer's write reaches the bytes the vCPU reads, while the NIC runs...
        assertEquals(MemTxResult.P2P_FORWARDED, virtioNet.write(0xfe000010L, 4, 0xcafe));
        assertEquals(0xcafe, cpu.read(0xfe000010L, 4));
        // ...and is held while it is stopped for migration, then replayed once when it runs again.
        vm.device(nic).transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_QUEUED, virtioNet.write(0xfe000010L, 4, 0xbeef));
        vm.device(nic).transition(MigrationState.RUNNING);
        assertEquals(0xbeef, cpu.read(0xfe000010L, 4));
    }

    @Test
    void theReadmeShowsThisExample() throws IOException {
        List<String> source = Files.readAllLines(THIS, StandardCharsets.UTF_8);
        int start = source.indexOf("    void embeddingExample() {") + 1;
        int end = source.subList(start, source.size()).indexOf("    }") + start;
        String body = source.subList(start, end).stream()
                .map(line -> line.isEmpty() ? line : line.substring(8))
                .collect(Collectors.joining("\n"));
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        assertTrue(readme.contains("```java\n" + body + "\n```\n"),
                "README.md's embedding example differs from EmbeddingExampleTest.embeddingExample(); it should be:\n"
                        + body);
        assertTrue(end - start <= 25, "the embedding example has " + (end - start) + " lines, expected at most 25");
        assertTrue(Arrays.stream(body.split("\n")).allMatch(l -> l.length() <= 120), "a line over 120 characters");
    }
}
