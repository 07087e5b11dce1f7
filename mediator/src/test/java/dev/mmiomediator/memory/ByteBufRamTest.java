package dev.mmiomediator.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.dma.DmaPort;
import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.dma.Mediator;
import dev.mmiomediator.dma.MemTxResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** RAM over a buffer the emulator owns: DMA and the emulator see the same bytes, and no index ever moves. */
class ByteBufRamTest {

    @Test
    void valuesAreLittleEndianInTheUsersBuffer() {
        ByteBuf buf = Unpooled.buffer(64, 64);
        ByteBufRam ram = new ByteBufRam(buf);
        ram.write(0, 8, 0x8877665544332211L);
        ram.write(8, 4, 0xccbbaa99L);
        ram.write(12, 2, 0xeedd);
        ram.write(14, 1, 0x1ff);
        assertEquals(0x8877665544332211L, buf.getLongLE(0));
        assertEquals(0x11, buf.getByte(0));
        assertEquals(0xccbbaa99L, ram.read(8, 4));
        assertEquals(0xeedd, ram.read(12, 2));
        assertEquals(0xff, ram.read(14, 1));
        assertEquals(0, buf.readerIndex());
        assertEquals(0, buf.writerIndex());
    }

    @Test
    void bulkCopiesMoveNeitherBuffersIndices() {
        ByteBuf mine = Unpooled.directBuffer(32, 32);
        ByteBuf other = Unpooled.buffer(8).writeBytes(new byte[] {1, 2, 3, 4, 5});
        try {
            ByteBufRam ram = new ByteBufRam(mine);
            ram.write(4, other, 1, 4);
            ram.write(10, new byte[] {9, 8}, 0, 2);
            byte[] dst = new byte[8];
            ram.read(4, dst, 0, 8);
            assertArrayEquals(new byte[] {2, 3, 4, 5, 0, 0, 9, 8}, dst);
            ram.read(4, other, 0, 2);
            assertEquals(2, other.getByte(0));
            assertEquals(0, mine.readerIndex());
            assertEquals(0, mine.writerIndex());
            assertEquals(0, other.readerIndex());
            assertEquals(5, other.writerIndex());
        } finally {
            mine.release();
        }
    }

    @Test
    void theSizeIsTheBuffersCapacity() {
        assertEquals(4096, new ByteBufRam(Unpooled.buffer(4096)).size());
    }

    @Test
    void dmaIntoARegionBackedByAUserBufferLandsInThatBuffer() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion system = sys.container("system", Size.FULL);
        MemoryRegion ram = sys.ram("pc.ram", Size.of(0x10000));
        ByteBuf guestMemory = Unpooled.directBuffer(0x10000, 0x10000);
        try {
            ram.setRamBacking(new ByteBufRam(guestMemory));
            system.addSubregion(ram, 0x100000);
            Mediator mediator = new Mediator(sys.addressSpace("memory", system));
            DmaPort nic = mediator.port(Initiator.softwareDevice("virtio-net"));
            assertEquals(MemTxResult.OK, nic.write(0x100010, 4, 0xfeedf00dL));
            assertEquals(0xfeedf00dL, guestMemory.getUnsignedIntLE(0x10));
            guestMemory.setLongLE(0x20, 0x0123456789abcdefL);
            assertEquals(0x0123456789abcdefL, nic.read(0x100020, 8));
            guestMemory.setShortLE(0xfffe, 0x2211);
            byte[] dst = {7, 7, 7, 7};
            assertEquals(MemTxResult.DECODE_ERROR, nic.read(0x10fffe, dst, 0, 4)); // the last two bytes, a hole
            assertArrayEquals(new byte[] {0x11, 0x22, 0, 0}, dst);
        } finally {
            guestMemory.release();
        }
    }

    @Test
    void aBufferSmallerThanItsRegionIsRejectedNamingBoth() {
        MemorySystem sys = new MemorySystem();
        MemoryRegion ram = sys.ram("pc.ram", Size.of(0x10000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ram.setRamBacking(new ByteBufRam(Unpooled.buffer(0x8000))));
        assertTrue(e.getMessage().contains("0x8000") && e.getMessage().contains("'pc.ram'")
                && e.getMessage().contains("0x10000"), e.getMessage());
    }
}
