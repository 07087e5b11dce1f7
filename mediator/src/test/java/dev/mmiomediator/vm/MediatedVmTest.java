package dev.mmiomediator.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.MemTxResult;
import dev.mmiomediator.dma.Passthrough;
import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.PassthroughBar;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.policy.P2pTarget;
import dev.mmiomediator.policy.PolicyCounters;
import dev.mmiomediator.vfio.MigrationData;
import dev.mmiomediator.vfio.MigrationDriver;
import dev.mmiomediator.vfio.MigrationFlags;
import dev.mmiomediator.vfio.MigrationState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MediatedVm}: one builder declares, registers and plugs in; P2P accesses reach the BAR the vCPU reaches;
 * a function is declared once; no BAR of the space is left without a registration.
 */
class MediatedVmTest {
    private static final PciAddress NIC = PciAddress.parse("0000:01:00.0");
    private static final PciAddress GPU = PciAddress.parse("0000:02:00.0");
    private static final long BAR0 = 0xfe000000L;
    private static final Initiator VIRTIO = Initiator.softwareDevice("virtio-net");

    /** Forwards while the target accepts; otherwise queues writes and fails reads. */
    static final P2pPolicy FORWARD_OR_QUEUE = new P2pPolicy() {
        @Override
        public String name() {
            return "forward-or-queue";
        }

        @Override
        public String description() {
            return "forward while the target accepts, else queue writes and fail reads";
        }

        @Override
        public Decision decide(P2pRequest request) {
            return request.targetAccepts() ? Decision.FORWARD : request.write() ? Decision.QUEUE : Decision.FAIL;
        }
    };

    /** A driver whose arcs all succeed and open no session: the tests never save or resume. */
    static final class StateOnlyDriver implements MigrationDriver {
        @Override
        public MigrationData arc(MigrationState from, MigrationState to) {
            return null;
        }

        @Override
        public void reset() {
        }
    }

    /** Four 4-byte registers, called with 4-byte pieces only. */
    static final class Registers implements MemoryRegionOps {
        final Map<Long, Long> values = new ConcurrentHashMap<>();
        final List<Integer> sizes = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            sizes.add(size);
            return values.getOrDefault(offset, 0L);
        }

        @Override
        public void write(long offset, long value, int size) {
            sizes.add(size);
            values.put(offset, value);
        }

        @Override
        public int minAccessSize() {
            return 4;
        }

        @Override
        public int maxAccessSize() {
            return 4;
        }
    }

    private MemorySystem sys;
    private MemoryRegion system;
    private AddressSpace memory;
    private MemoryRegion bar0;
    private ByteBuf mmaps;
    private final Registers registers = new Registers();

    @BeforeEach
    void board() {
        sys = new MemorySystem();
        system = sys.container("system", Size.FULL);
        // QEMU's shape of a VFIO BAR: a container with the mmap'ed device memory and an MMIO quirk inside
        bar0 = sys.container(NIC + " BAR 0", Size.of(0x4000));
        mmaps = Unpooled.buffer(0x2000, 0x2000).writerIndex(0x2000);
        MemoryRegion mmap = sys.ramDevice(NIC + " BAR 0 mmaps[0]", Size.of(0x2000));
        mmap.setRamBacking(new ByteBufRam(mmaps));
        bar0.addSubregion(mmap, 0);
        bar0.addSubregion(sys.mmio("quirk", Size.of(0x10), registers), 0x2000);
        try (MemorySystem.Transaction tx = sys.begin()) {
            system.addSubregion(sys.ram("pc.ram", Size.of(1 << 20)), 0);
            system.addSubregion(bar0, BAR0);
        }
        memory = sys.addressSpace("memory", system);
    }

    private MediatedVm.Builder nic() {
        return MediatedVm.builder(memory)
                .passthrough(NIC, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar0))
                .policy(FORWARD_OR_QUEUE);
    }

    @Test
    void aPeersWriteIntoTheBarIsWhatTheVcpuReadsBack() {
        MediatedVm vm = nic().build();
        DmaPort peer = vm.port(VIRTIO);
        DmaPort cpu = vm.port(Initiator.vcpu());
        assertEquals(MemTxResult.P2P_FORWARDED, peer.write(BAR0 + 0x10, 8, 0x1122334455667788L));
        assertEquals(0x1122334455667788L, cpu.read(BAR0 + 0x10, 8));
        assertEquals(MemTxResult.OK, cpu.result());
    }

    @Test
    void theVcpusWriteIntoTheBarIsWhatAPeerReads() {
        MediatedVm vm = nic().build();
        DmaPort peer = vm.port(VIRTIO);
        DmaPort cpu = vm.port(Initiator.vcpu());
        assertEquals(MemTxResult.OK, cpu.write(BAR0 + 0x1ff8, 8, 0xcafef00dL));
        assertEquals(0xcafef00dL, peer.read(BAR0 + 0x1ff8, 8));
        assertEquals(MemTxResult.P2P_FORWARDED, peer.result());
        assertEquals(1, vm.engine().counters().total(PolicyCounters.Counter.FORWARDED));
    }

    @Test
    void theDefaultTargetKeepsOneCopyOfTheBytesTheBarsMemory() {
        MediatedVm vm = nic().build();
        byte[] packet = "peer to peer".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(MemTxResult.P2P_FORWARDED, vm.port(VIRTIO).write(BAR0 + 0x100, packet, 0, packet.length));
        byte[] inBar = new byte[packet.length];
        mmaps.getBytes(0x100, inBar); // the ram device's own backing, where the vCPU reads too
        assertArrayEquals(packet, inBar);
        byte[] seenByCpu = new byte[packet.length];
        assertEquals(MemTxResult.OK, vm.port(Initiator.vcpu()).read(BAR0 + 0x100, seenByCpu, 0, seenByCpu.length));
        assertArrayEquals(packet, seenByCpu);
    }

    @Test
    void mmioInsideTheBarIsCalledForAPeerAsForTheVcpu() {
        MediatedVm vm = nic().build();
        assertEquals(MemTxResult.P2P_FORWARDED, vm.port(VIRTIO).write(BAR0 + 0x2000, 8, 0x0000000200000001L));
        assertEquals(List.of(4, 4), registers.sizes, "split into the quirk's valid size");
        assertEquals(1L, registers.values.get(0L));
        assertEquals(2L, registers.values.get(4L));
        assertEquals(0x0000000200000001L, vm.port(Initiator.vcpu()).read(BAR0 + 0x2000, 8));
    }

    @Test
    void anMmioModelInsideTheBarThatThrowsFailsThePeersAccessWithError() {
        MemoryRegion bar = sys.mmio(GPU + " BAR 0", Size.of(0x1000), new MemoryRegionOps() {
            @Override
            public long read(long offset, int size) {
                throw new IllegalStateException("device gone");
            }

            @Override
            public void write(long offset, long value, int size) {
                throw new IllegalStateException("device gone");
            }
        });
        system.addSubregion(bar, 0xfc000000L);
        MediatedVm vm = nic().passthrough(GPU, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar))
                .build();
        DmaPort peer = vm.port(VIRTIO);
        assertEquals(0xffffffffL, peer.read(0xfc000000L, 4));
        assertEquals(MemTxResult.ERROR | MemTxResult.P2P_FAILED, peer.result());
        assertEquals(MemTxResult.ERROR, vm.port(Initiator.vcpu()).write(0xfc000000L, 4, 1), "as for the vCPU");
    }

    @Test
    void theBarKeepsItsBytesWhenTheGuestMovesIt() {
        MediatedVm vm = nic().build();
        DmaPort peer = vm.port(VIRTIO);
        assertEquals(MemTxResult.P2P_FORWARDED, peer.write(BAR0, 4, 0xabcd));
        bar0.setAddress(0xfd000000L);
        assertEquals(0xabcd, peer.read(0xfd000000L, 4));
        assertEquals(MemTxResult.P2P_FORWARDED, peer.result());
        assertEquals(0xabcd, vm.port(Initiator.vcpu()).read(0xfd000000L, 4));
    }

    @Test
    void aWriteHeldWhileTheDeviceIsStoppedReachesTheBarWhenItRuns() {
        MediatedVm vm = nic().build();
        DmaPort peer = vm.port(VIRTIO);
        vm.device(NIC).transition(MigrationState.STOP);
        assertEquals(MemTxResult.P2P_QUEUED, peer.write(BAR0 + 8, 4, 0x5a5a));
        assertEquals(1, vm.engine().heldCount(NIC));
        vm.device(NIC).transition(MigrationState.RUNNING); // the engine replays the held write
        assertEquals(0, vm.engine().heldCount(NIC));
        assertEquals(0x5a5a, vm.port(Initiator.vcpu()).read(BAR0 + 8, 4));
    }

    @Test
    void aCustomTargetGetsTheForwardedAccessesInsteadOfTheBar() {
        List<String> seen = new ArrayList<>();
        P2pTarget vfioRegion = new P2pTarget() {
            @Override
            public void read(int bar, long offset, byte[] dst, int length) {
                seen.add("read " + bar + "+" + offset + "/" + length);
            }

            @Override
            public void write(int bar, long offset, byte[] src, int length) {
                seen.add("write " + bar + "+" + offset + "/" + length);
            }
        };
        MediatedVm vm = MediatedVm.builder(memory)
                .passthrough(NIC, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar0), vfioRegion)
                .policy(FORWARD_OR_QUEUE)
                .build();
        assertEquals(MemTxResult.P2P_FORWARDED, vm.port(VIRTIO).write(BAR0 + 0x20, 4, 7));
        assertEquals(List.of("write 0+32/4"), seen);
        assertEquals(0, vm.port(Initiator.vcpu()).read(BAR0 + 0x20, 4), "the BAR's memory was not written");
    }

    @Test
    void aFunctionGivenTwiceIsRefused() {
        MediatedVm.Builder b = nic();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> b.passthrough(NIC, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar0)));
        assertEquals("passthrough function 0000:01:00.0 given twice: a function is declared once", x.getMessage());
    }

    @Test
    void aFunctionAlreadyDeclaredIsRefusedBySecondVm() {
        nic().build();
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> nic().build());
        assertEquals("passthrough function 0000:01:00.0 is already declared (region '0000:01:00.0 BAR 0' is its "
                + "0000:01:00.0 BAR 0): a function is declared once", x.getMessage());
    }

    @Test
    void aBarDeclaredByHandWithoutRegistrationIsRefusedAtBuild() {
        MemoryRegion gpuBar = sys.ramDevice(GPU + " BAR 2", Size.of(0x1000));
        system.addSubregion(gpuBar, 0xfc000000L);
        Passthrough.declare(GPU, Map.of(2, gpuBar)); // P2P space, but no engine will know the GPU
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> nic().build());
        assertEquals("region '0000:02:00.0 BAR 2' in AddressSpace 'memory' (root 'system') is 0000:02:00.0 BAR 2, "
                + "which this VM does not declare: its P2P accesses would have no target; give 0000:02:00.0 to "
                + "passthrough(...)", x.getMessage());
        assertNull(bar0.passthroughBar(), "the refused build declared the NIC");
    }

    @Test
    void aRefusedBuildDeclaresAndRegistersNothing() {
        MemoryRegion gpuBar = sys.ramDevice(GPU + " BAR 2", Size.of(0x1000));
        MemoryRegion alias = sys.alias("gpu-bar-alias", gpuBar, 0, Size.of(0x1000));
        system.addSubregion(alias, 0xfc000000L);
        int spaces = sys.addressSpaces().size();
        MediatedVm.Builder b = nic().passthrough(GPU, MigrationFlags.WITH_P2P, new StateOnlyDriver(),
                Map.of(2, alias));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(x.getMessage().contains("is an alias"), x.getMessage());
        assertNull(bar0.passthroughBar(), "the NIC, declared before the GPU was refused, stayed declared");
        assertEquals(spaces, sys.addressSpaces().size(), "the NIC's BAR target stayed");
        assertEquals(PassthroughBar.class, nic().build().passthrough(NIC).bars().get(0).passthroughBar().getClass());
    }

    @Test
    void anAccessToABarDeclaredAfterTheBuildIsCountedAsUnregistered() {
        MediatedVm vm = nic().build();
        MemoryRegion gpuBar = sys.ramDevice(GPU + " BAR 2", Size.of(0x1000));
        system.addSubregion(gpuBar, 0xfc000000L);
        Passthrough.declare(GPU, Map.of(2, gpuBar));
        assertEquals(MemTxResult.P2P_FAILED, vm.port(VIRTIO).write(0xfc000000L, 4, 1));
        assertEquals(1, vm.engine().unregisteredAccesses());
    }

    @Test
    void aPolicyIsFoundByName() {
        MediatedVm vm = MediatedVm.builder(memory)
                .passthrough(NIC, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar0))
                .policy("test-forward") // PoliciesTest's provider, from this module's test service file
                .build();
        assertEquals("test-forward", vm.engine().policy().name());
        assertEquals(MemTxResult.P2P_FORWARDED, vm.port(VIRTIO).write(BAR0, 4, 1));
    }

    @Test
    void aBuildWithoutPolicyOrWithAnUnknownOneIsRefused() {
        MediatedVm.Builder b = MediatedVm.builder(memory)
                .passthrough(NIC, MigrationFlags.WITH_P2P, new StateOnlyDriver(), Map.of(0, bar0));
        assertTrue(assertThrows(IllegalStateException.class, b::build).getMessage().startsWith("no P2P policy"));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> b.policy("no-such").build());
        assertTrue(x.getMessage().startsWith("unknown policy 'no-such'"), x.getMessage());
        assertNull(bar0.passthroughBar(), "an unknown policy left the NIC declared");
    }

    @Test
    void theVmNamesItsFunctions() {
        MediatedVm vm = nic().build();
        assertSame(vm.device(NIC), vm.devices().get(0));
        assertEquals(bar0, vm.passthrough(NIC).bar(0));
        assertEquals(NIC, vm.device(NIC).address());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> vm.device(GPU));
        assertEquals("0000:02:00.0 is not a passthrough function of this VM (its functions: [0000:01:00.0])",
                x.getMessage());
    }
}
