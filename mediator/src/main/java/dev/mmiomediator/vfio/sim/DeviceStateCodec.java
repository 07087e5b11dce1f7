package dev.mmiomediator.vfio.sim;

import dev.mmiomediator.vfio.MigrationStreamException;
import dev.mmiomediator.pci.PciBar;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The state bytes of a simulated device, little-endian:
 * <pre>
 *   0  "MMSD"                    magic
 *   4  u16 version               {@value #VERSION}
 *   6  u16 BAR count, u16 register count, u16 reserved (0)
 *  12  u32 ledger length L       at most {@link SimulatedPassthroughDevice#LEDGER_CAPACITY}
 *  16  u64 writes not recorded   (taken while the ledger was full)
 *  24  per BAR: u32 index, u64 size, u32 page count P
 *      per BAR: P x (u64 offset, 4096 bytes): its pages that are not all zero, by ascending offset (each
 *               4096-aligned, inside the BAR); every other byte of the BAR is zero
 *      per register: u64
 *      L x u64: the write ledger, in the order the device took the writes
 *      u32 CRC-32C of everything before it (the checksum of the migration stream too)
 * </pre>
 *
 * <p>Version 2 added the ledger (version 1 had none, and its header ended at 12); version 3 checks with CRC-32C
 * (Castagnoli), as the migration stream does, where version 2 used CRC-32; version 4 carries a BAR's non-zero
 * pages instead of its whole contents, so a simulated 256 MiB BAR costs its touched pages. A device reads its own
 * version only. The length of a state is known once its header and BAR table are in; the decoder bounds the pages
 * (at most a given total, none beyond its BAR).
 *
 * <p><b>Note:</b> not thread-safe; the owning device synchronizes.
 */
final class DeviceStateCodec {
    static final byte[] MAGIC = {'M', 'M', 'S', 'D'};
    static final int VERSION = 4;
    static final int FIXED_HEADER = 24;
    private static final int BAR_ENTRY = 16;
    static final int PAGE = SimulatedPassthroughDevice.STATE_PAGE;
    private static final int PAGE_ENTRY = 8 + PAGE;
    private static final int TRAILER = 4;

    private DeviceStateCodec() {
    }

    /**
     * The exact length of the state of a device with these BARs and registers, this many pages in all, and a ledger
     * of this length.
     */
    static long length(List<PciBar> bars, int registers, long pages, int ledger) {
        return FIXED_HEADER + (long) BAR_ENTRY * bars.size() + PAGE_ENTRY * pages + 8L * registers + 8L * ledger
                + TRAILER;
    }

    /**
     * Encodes BAR pages (per BAR, in {@code bars} order, its non-zero {@value #PAGE}-byte pages by ascending offset),
     * registers, and the first {@code ledgerLength} entries of {@code ledger} with the count of writes it could not
     * record.
     */
    static ByteBuf encode(List<PciBar> bars, List<NavigableMap<Long, byte[]>> pages, long[] registers, long[] ledger,
                          int ledgerLength, long unrecorded) {
        long count = pages.stream().mapToLong(Map::size).sum();
        ByteBuf out = Unpooled.buffer((int) length(bars, registers.length, count, ledgerLength));
        out.writeBytes(MAGIC);
        out.writeShortLE(VERSION);
        out.writeShortLE(bars.size());
        out.writeShortLE(registers.length);
        out.writeShortLE(0);
        out.writeIntLE(ledgerLength);
        out.writeLongLE(unrecorded);
        for (int i = 0; i < bars.size(); i++) {
            out.writeIntLE(bars.get(i).index());
            out.writeLongLE(bars.get(i).size());
            out.writeIntLE(pages.get(i).size());
        }
        for (NavigableMap<Long, byte[]> barPages : pages) {
            barPages.forEach((offset, page) -> {
                out.writeLongLE(offset);
                out.writeBytes(page);
            });
        }
        for (long r : registers) {
            out.writeLongLE(r);
        }
        for (int i = 0; i < ledgerLength; i++) {
            out.writeLongLE(ledger[i]);
        }
        out.writeIntLE((int) crc(out, out.writerIndex()));
        return out;
    }

    private static long crc(ByteBuf buf, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buf.nioBuffer(0, length));
        return crc.getValue();
    }

    /** Decoded state: per BAR in the device's BAR order its non-zero pages by offset, registers, the ledger, its overflow. */
    record State(List<NavigableMap<Long, byte[]>> pages, long[] registers, long[] ledger, long unrecorded) {
    }

    /**
     * Checks bytes as they arrive: the header as soon as it is complete, the length and checksum at the end.
     * The first refusal sticks.
     */
    static final class Decoder {
        private final List<PciBar> bars;
        private final int registers;
        private final int maxLedger;
        private final int maxPages;
        /** The ledger's length, once the fixed header is in. */
        private int ledgerLength = -1;
        /** The state's exact length, once the fixed header is in; -1 before. */
        private long total = -1;
        private final ByteBuf buf;
        private String refusal;
        
        /**
         * @param maxLedger the most ledger entries accepted
         * @param maxPages  the most BAR pages accepted, over all BARs
         */
        Decoder(List<PciBar> bars, int registers, int maxLedger, int maxPages) {
            this.bars = bars;
            this.registers = registers;
            this.maxLedger = maxLedger;
            this.maxPages = maxPages;
            long max = length(bars, registers, maxPages, maxLedger);
            this.buf = Unpooled.buffer((int) Math.min(max, 1 << 16), (int) max);
        }

        /** The bytes received so far. */
        long received() {
            return buf.writerIndex();
        }

        /** Consumes every readable byte of {@code src}. */
        void write(ByteBuf src) throws MigrationStreamException {
            if (refusal != null) {
                src.skipBytes(src.readableBytes());
                throw new MigrationStreamException(refusal);
            }
            int n = src.readableBytes();
            int take = 0;
            while (take < n) {
                long want = total >= 0 ? total : ledgerLength < 0 ? FIXED_HEADER : tableEnd();
                int more = (int) Math.min(n - take, want - buf.writerIndex());
                if (more <= 0) {
                    break;
                }
                buf.writeBytes(src, more);
                take += more;
                if (ledgerLength < 0 && buf.writerIndex() >= FIXED_HEADER) {
                    readHeader();
                } else if (ledgerLength < 0 && buf.writerIndex() >= MAGIC.length) {
                    checkMagic();
                }
                if (ledgerLength >= 0 && total < 0 && buf.writerIndex() >= tableEnd()) {
                    readTable();
                }
            }
            src.skipBytes(n - take);
            if (take < n) {
                refuse("the stream continues past its end: " + (buf.writerIndex() + (long) (n - take))
                        + " bytes so far, but this device's state is exactly " + total + " bytes");
            }
        }

        private long tableEnd() {
            return FIXED_HEADER + (long) BAR_ENTRY * bars.size();
        }

        /** The fixed header is in: checks magic, version, counts and the ledger's length. */
        private void readHeader() throws MigrationStreamException {
            checkMagic();
            int version = buf.getUnsignedShortLE(4);
            if (version != VERSION) {
                refuse("state stream version " + version + ", this device reads version " + VERSION);
            }
            long ledger = buf.getUnsignedIntLE(12);
            if (ledger > maxLedger) {
                refuse("the stream's write ledger holds " + ledger + " entries, at most " + maxLedger
                        + " are accepted");
            }
            long unrecorded = buf.getLongLE(16);
            if (unrecorded < 0) {
                refuse("the stream says " + unrecorded + " writes were not recorded, expected 0 or more");
            }
            int barCount = buf.getUnsignedShortLE(6);
            int regCount = buf.getUnsignedShortLE(8);
            if (barCount != bars.size() || regCount != registers) {
                refuse("the stream holds " + barCount + " BARs and " + regCount + " registers, this device has "
                        + bars.size() + " and " + registers);
            }
            if (buf.getUnsignedShortLE(10) != 0) {
                refuse("reserved header field is 0x" + Integer.toHexString(buf.getUnsignedShortLE(10))
                        + ", expected 0");
            }
            ledgerLength = (int) ledger;
        }

        /** The BAR table is in: checks each BAR and its page count, and learns the total length. */
        private void readTable() throws MigrationStreamException {
            long pages = 0;
            for (int i = 0; i < bars.size(); i++) {
                long index = buf.getUnsignedIntLE(FIXED_HEADER + BAR_ENTRY * i);
                long size = buf.getLongLE(FIXED_HEADER + BAR_ENTRY * i + 4);
                long count = buf.getUnsignedIntLE(FIXED_HEADER + BAR_ENTRY * i + 12);
                PciBar bar = bars.get(i);
                if (index != bar.index() || size != bar.size()) {
                    refuse("the stream's BAR " + index + " of 0x" + Long.toHexString(size) + " bytes does not match"
                            + " this device's " + bar);
                }
                if (count > (bar.size() + PAGE - 1) / PAGE) {
                    refuse("the stream carries " + count + " pages of " + bar + ", which has "
                            + (bar.size() + PAGE - 1) / PAGE);
                }
                pages += count;
            }
            if (pages > maxPages) {
                refuse("the stream carries " + pages + " BAR pages, at most " + maxPages + " are accepted");
            }
            total = length(bars, registers, pages, ledgerLength);
        }

        private void checkMagic() throws MigrationStreamException {
            for (int i = 0; i < MAGIC.length; i++) {
                if (buf.getByte(i) != MAGIC[i]) {
                    refuse(String.format("not a simulated device state stream: it starts with %02x %02x %02x %02x, "
                            + "expected \"MMSD\"", buf.getByte(0), buf.getByte(1), buf.getByte(2), buf.getByte(3)));
                }
            }
        }

        private void refuse(String why) throws MigrationStreamException {
            refusal = why;
            throw new MigrationStreamException(why);
        }

        /** The decoded state, once every byte arrived and the checksum matches. */
        State finish() throws MigrationStreamException {
            if (refusal != null) {
                throw new MigrationStreamException(refusal);
            }
            if (total < 0) {
                refuse("truncated stream: " + buf.writerIndex() + " bytes, not even the " + tableEnd()
                        + "-byte header of this device's state");
            }
            if (buf.writerIndex() < total) {
                refuse("truncated stream: " + buf.writerIndex() + " of the " + total + " bytes of this device's state");
            }
            long want = buf.getUnsignedIntLE((int) total - TRAILER);
            long got = crc(buf, (int) total - TRAILER);
            if (want != got) {
                refuse("corrupted stream: checksum 0x" + Long.toHexString(got) + ", the stream says 0x"
                        + Long.toHexString(want));
            }
            int at = FIXED_HEADER + BAR_ENTRY * bars.size();
            List<NavigableMap<Long, byte[]>> pages = new ArrayList<>();
            for (int i = 0; i < bars.size(); i++) {
                long count = buf.getUnsignedIntLE(FIXED_HEADER + BAR_ENTRY * i + 12);
                NavigableMap<Long, byte[]> barPages = new TreeMap<>();
                long after = 0;
                for (long p = 0; p < count; p++) {
                    long offset = buf.getLongLE(at);
                    if (offset < after || offset % PAGE != 0 || offset > bars.get(i).size() - 1) {
                        refuse("page at 0x" + Long.toHexString(offset) + " of " + bars.get(i) + ": expected "
                                + PAGE + "-aligned offsets inside the BAR, ascending");
                    }
                    byte[] page = new byte[PAGE];
                    buf.getBytes(at + 8, page);
                    barPages.put(offset, page);
                    after = offset + PAGE;
                    at += PAGE_ENTRY;
                }
                pages.add(barPages);
            }
            long[] regs = new long[registers];
            for (int i = 0; i < registers; i++) {
                regs[i] = buf.getLongLE(at);
                at += 8;
            }
            long[] ledger = new long[(int) buf.getUnsignedIntLE(12)];
            for (int i = 0; i < ledger.length; i++) {
                ledger[i] = buf.getLongLE(at);
                at += 8;
            }
            return new State(pages, regs, ledger, buf.getLongLE(16));
        }
    }
}
