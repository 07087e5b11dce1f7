package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The default handler's WARN lines, read from what slf4j-simple (the test binding) prints on standard error: one per
 * (initiator, BAR) pair, never one per access.
 */
class MasterAbortP2pHandlerLoggingTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void capture() {
        original = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(original);
        System.err.print(captured.toString(StandardCharsets.UTF_8));
    }

    private List<String> warnings() {
        return Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(l -> l.contains("WARN") && l.contains("P2P access master-aborted")).toList();
    }

    @Test
    void eachInitiatorAndBarPairIsLoggedOnceWhateverTheNumberOfAccesses() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion bar0 = sys.ramDevice(NIC + " BAR 0", Size.of(0x1000));
        MemoryRegion bar2 = sys.ramDevice(NIC + " BAR 2", Size.of(0x1000));
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(bar0, 0xfe000000L);
            system.addSubregion(bar2, 0xfe100000L);
            bar0.setPassthroughBar(new PassthroughBar(NIC, 0));
            bar2.setPassthroughBar(new PassthroughBar(NIC, 2));
        }
        Mediator mediator = new Mediator(sys.addressSpace("memory", system));
        DmaPort virtio = mediator.port(Initiator.softwareDevice("virtio-net"));
        DmaPort nvme = mediator.port(Initiator.softwareDevice("nvme"));
        for (int i = 0; i < 50; i++) {
            virtio.write(0xfe000000L + 8 * i, 8, i);
            virtio.read(0xfe100000L + 8 * i, 8);
            nvme.read(0xfe000000L + 8 * i, 4);
        }
        List<String> lines = warnings();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("write 0000:01:00.0 BAR 0+0x0/8 by virtio-net"), lines.get(0));
        assertTrue(lines.get(1).contains("read 0000:01:00.0 BAR 2+0x0/8 by virtio-net"), lines.get(1));
        assertTrue(lines.get(2).contains("read 0000:01:00.0 BAR 0+0x0/4 by nvme"), lines.get(2));
    }
}
