package dev.mmiomediator.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.memory.AddressSpace;
import dev.mmiomediator.memory.ByteBufRam;
import dev.mmiomediator.memory.MemoryRegion;
import dev.mmiomediator.memory.MemoryRegionOps;
import dev.mmiomediator.memory.MemorySystem;
import dev.mmiomediator.memory.Size;
import dev.mmiomediator.pci.PciAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The wiring {@code vm.MediatedVm} does, by hand, with the layer's results on the way: a memory map with RAM, MMIO
 * and a passthrough BAR, a mediator with its ports, RAM/MMIO/unassigned/P2P accesses and their MemTxResult bits,
 * a P2P handler, and the IOMMU mappings. The README's "Embedding the mediator" describes these steps; its example
 * is {@code policies}' {@code EmbeddingExampleTest}.
 */
class ManualWiringTest {

    @Test
    void aMediatedAddressSpaceWiredByHand() {
        // 1. The guest's memory map, as the board code builds it (QEMU's memory API, same words).
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        ByteBuf guestRam = Unpooled.directBuffer(64 << 20, 64 << 20); // memory the emulator already owns
        MemoryRegion ram = sys.ram("pc.ram", Size.of(64 << 20));
        ram.setRamBacking(new ByteBufRam(guestRam));                  // default: sparse, free until written
        MemoryRegion hpet = sys.mmio("hpet", Size.of(0x400), new MemoryRegionOps() {
            @Override
            public long read(long offset, int size) {
                return offset == 0 ? 0x8086a201L : 0;                  // called with 4-byte pieces only
            }

            @Override
            public void write(long offset, long value, int size) {
            }

            @Override
            public int maxAccessSize() {
                return 4;
            }
        });

        // 2. A passthrough (VFIO) NIC: its BAR 0 holds the mmap'ed device memory and QEMU's MSI-X table.
        PciAddress nicAddress = PciAddress.parse("0000:01:00.0");
        MemoryRegion bar0 = sys.container(nicAddress + " BAR 0", Size.of(0x4000));
        bar0.addSubregion(sys.ramDevice(nicAddress + " BAR 0 mmaps[0]", Size.of(0x2000)), 0);
        bar0.addSubregion(sys.mmio("msix-table", Size.of(0x1000), MemoryRegionOps.UNASSIGNED), 0x2000);
        try (MemorySystem.Transaction tx = sys.begin()) {             // one render for all of it
            system.addSubregion(ram, 0);
            system.addSubregion(hpet, 0xfed00000L);
            system.addSubregion(bar0, 0xfe000000L);
        }
        AddressSpace memory = sys.addressSpace("memory", system);
        Passthrough nic = Passthrough.declare(nicAddress, Map.of(0, bar0)); // BAR 0 is now P2P space

        // 3. The mediator, and one DMA port per initiator (a port belongs to one thread).
        Mediator mediator = new Mediator(memory);                    // P2P: master abort, logged once
        DmaPort virtioNet = mediator.port(Initiator.softwareDevice("virtio-net"));
        DmaPort nicDma = mediator.port(nic.initiator());             // the NIC's own DMA (its IOMMU view)
        DmaPort cpu = mediator.port(Initiator.vcpu());
        IommuMappingTable iommu = IommuMappingTable.attach(mediator, nic.device()); // what VFIO would map

        // 4. DMA. Every access returns MemTxResult bits (value reads: port.result()).
        byte[] packet = "hello, guest".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int r = virtioNet.write(0x10000, packet, 0, packet.length);  // RAM: a copy
        assertEquals(MemTxResult.OK, r);
        assertEquals('h', guestRam.getByte(0x10000));

        long id = virtioNet.read(0xfed00000L, 8);                   // MMIO: split into two 4-byte reads
        assertEquals(0x8086a201L, id);

        r = virtioNet.write(0xfe000010L, packet, 0, 4);              // into the NIC's BAR: never reaches it
        assertTrue(MemTxResult.hitP2p(r));                            // P2P_FAILED: master-aborted
        assertEquals(0xffffffffL, nicDma.read(0xfe002000L, 4));      // the MSI-X table is P2P space too
        assertEquals(0, cpu.read(0xfe000010L, 4));                   // the vCPU reaches the BAR directly

        ByteBuf rx = Unpooled.buffer();
        r = virtioNet.read(0x3fffffe, rx, 4);                        // 2 bytes of RAM, then nothing
        assertEquals(MemTxResult.DECODE_ERROR, r);                   // unassigned bytes read as 0
        assertEquals(4, rx.writerIndex());
        if (!MemTxResult.isOk(r)) {
            // a real device model reports a bus error to the guest here, e.g. in its descriptor status
            System.out.println("virtio-net DMA failed: " + MemTxResult.describe(r));
        }
        assertEquals(MemTxResult.ACCESS_ERROR, virtioNet.write(-2L, 4, 0)); // past 2^64: nothing written

        // 5. A P2P policy sees every piece that hits a BAR: who, which BAR, where, how long, which way.
        List<String> seen = new ArrayList<>();
        mediator.setP2pHandler(access -> {
            seen.add(access.toString());  // "write 0000:01:00.0 BAR 0+0x10/4 by virtio-net"
            return access.write() ? MemTxResult.P2P_QUEUED : MemTxResult.P2P_FAILED;
        });
        assertEquals(MemTxResult.P2P_QUEUED, virtioNet.write(0xfe000010L, 4, 0xcafe));
        assertEquals(List.of("write 0000:01:00.0 BAR 0+0x10/4 by virtio-net"), seen);

        // 6. The NIC's IOMMU mappings never contain a BAR, whatever the guest does to the topology.
        bar0.setAddress(0xfd000000L);                                // the guest moves the BAR
        assertNull(iommu.lookup(0xfd000000L));
        assertEquals(ram, iommu.lookup(0x10000).region());
        guestRam.release();
    }
}
