/**
 * The migration stream: one {@link dev.mmiomediator.migration.stream.MigrationImage} (device states, guest RAM,
 * queued P2P writes) as a versioned binary format, written and read with netty {@link io.netty.buffer.ByteBuf}s
 * by {@link dev.mmiomediator.migration.stream.MigrationStream}.
 *
 * <h2>Contract</h2>
 * A reader validates the whole stream before it returns anything: a truncated, corrupt, reordered or
 * unknown-version stream is a {@link dev.mmiomediator.input.StreamFormatException} naming the section,
 * the byte offset and the problem, and no image at all. The destination therefore applies all of a stream or
 * nothing, and the source, told of the refusal, resumes. All types are immutable; {@code MigrationStream} is
 * stateless and thread-safe.
 *
 * <h2>Format, version 1</h2>
 * All integers are <b>big-endian</b> (network order) and unsigned unless said otherwise. Offsets below are from
 * the start of the enclosing structure. Strings are UTF-8, well-formed, preceded by their byte length.
 * A stream is the 8-byte magic, then sections, each in a frame:
 *
 * <table class="striped">
 * <caption>Stream and frame</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td>0</td><td>8</td><td>magic {@code 4d 4d 49 4f 4d 49 47 00} ({@code "MMIOMIG\0"})</td></tr>
 * <tr><td>8</td><td>...</td><td>frames: HEADER, DEVICE_STATE &times; N, RAM &times; M, QUEUED_WRITES, END</td></tr>
 * <tr><td colspan="3"><b>frame</b></td></tr>
 * <tr><td>0</td><td>1</td><td>type: 1 HEADER, 2 DEVICE_STATE, 3 RAM, 4 QUEUED_WRITES, 5 END</td></tr>
 * <tr><td>1</td><td>1</td><td>flags, 0</td></tr>
 * <tr><td>2</td><td>2</td><td>reserved, 0</td></tr>
 * <tr><td>4</td><td>4</td><td>section number: the frame's position, HEADER = 0, END = N + M + 2</td></tr>
 * <tr><td>8</td><td>4</td><td>payload length L</td></tr>
 * <tr><td>12</td><td>L</td><td>payload</td></tr>
 * <tr><td>12+L</td><td>4</td><td>CRC32C (Castagnoli, {@link java.util.zip.CRC32C}) of the frame's bytes 0 to
 *     11+L (type to end of payload)</td></tr>
 * </table>
 *
 * <table class="striped">
 * <caption>Payloads (each must be filled exactly)</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td colspan="3"><b>HEADER</b> (L = 25 + n)</td></tr>
 * <tr><td>0</td><td>2</td><td>version, 1 (stays the first payload field of the first frame in every version)</td></tr>
 * <tr><td>2</td><td>2</td><td>reserved, 0</td></tr>
 * <tr><td>4</td><td>8</td><td>stream length: bytes from the first magic byte to the last byte of END's CRC</td></tr>
 * <tr><td>12</td><td>4</td><td>N, the number of DEVICE_STATE sections</td></tr>
 * <tr><td>16</td><td>4</td><td>M, the number of RAM sections</td></tr>
 * <tr><td>20</td><td>4</td><td>W, the number of queued writes</td></tr>
 * <tr><td>24</td><td>1</td><td>n, the VM name's length (0 to 255)</td></tr>
 * <tr><td>25</td><td>n</td><td>VM name</td></tr>
 * <tr><td colspan="3"><b>DEVICE_STATE</b> (L = 9 + s)</td></tr>
 * <tr><td>0</td><td>2</td><td>PCI domain</td></tr>
 * <tr><td>2</td><td>1</td><td>bus</td></tr>
 * <tr><td>3</td><td>1</td><td>device, 0 to 0x1f</td></tr>
 * <tr><td>4</td><td>1</td><td>function, 0 to 7</td></tr>
 * <tr><td>5</td><td>4</td><td>VFIO migration flags: STOP_COPY = 1 (required), P2P = 2, PRE_COPY = 4, no other bit</td></tr>
 * <tr><td>9</td><td>s</td><td>state bytes (s may be 0): what the device's STOP_COPY session produced</td></tr>
 * <tr><td colspan="3"><b>RAM</b> (L = 10 + r + d)</td></tr>
 * <tr><td>0</td><td>2</td><td>r, the region name's length (1 to 65535)</td></tr>
 * <tr><td>2</td><td>r</td><td>RAM region name, e.g. {@code pc.ram}</td></tr>
 * <tr><td>2+r</td><td>8</td><td>offset in the region (below 2^63, as is offset + d - 1)</td></tr>
 * <tr><td>10+r</td><td>d</td><td>data, d &ge; 1</td></tr>
 * <tr><td colspan="3"><b>QUEUED_WRITES</b> (L = 4 + the entries)</td></tr>
 * <tr><td>0</td><td>4</td><td>W again</td></tr>
 * <tr><td>4</td><td>...</td><td>W entries, in replay order:</td></tr>
 * <tr><td>+0</td><td>8</td><td>sequence (below 2^63)</td></tr>
 * <tr><td>+8</td><td>2</td><td>i, the initiator id's length</td></tr>
 * <tr><td>+10</td><td>i</td><td>initiator id, e.g. {@code virtio-net}</td></tr>
 * <tr><td>+10+i</td><td>5</td><td>target device: domain u16, bus u8, device u8, function u8; must have a
 *     DEVICE_STATE section in this stream</td></tr>
 * <tr><td>+15+i</td><td>1</td><td>BAR, 0 to 5</td></tr>
 * <tr><td>+16+i</td><td>8</td><td>offset in the BAR (below 2^63)</td></tr>
 * <tr><td>+24+i</td><td>4</td><td>length d, d &ge; 1</td></tr>
 * <tr><td>+28+i</td><td>d</td><td>data</td></tr>
 * <tr><td colspan="3"><b>END</b> (L = 16)</td></tr>
 * <tr><td>0</td><td>4</td><td>N again</td></tr>
 * <tr><td>4</td><td>4</td><td>M again</td></tr>
 * <tr><td>8</td><td>4</td><td>W again</td></tr>
 * <tr><td>12</td><td>4</td><td>CRC32C of the whole stream before this frame (magic included)</td></tr>
 * </table>
 *
 * <p>A CRC32C field holds the value {@link java.util.zip.CRC32C#getValue} gives (CRC-32C: reflected polynomial
 * {@code 0x82f63b78}, initial value and final XOR {@code 0xffffffff}; {@code 0xe3069283} for the ASCII bytes
 * {@code 123456789}), written big-endian like every other integer.
 *
 * <p><b>A worked example</b>: the test resource {@code mediator/src/test/resources/migration/golden-v1.hex} is a
 * complete 395-byte stream written out one field a line, each with its offset and meaning: VM {@code golden}, two
 * DEVICE_STATE sections (STOP_COPY|P2P with five state bytes; STOP_COPY with none), three RAM sections (one with a
 * region name of multi-byte UTF-8) and three queued writes. {@code golden-v1.bin} beside it holds the same bytes
 * raw. {@code GoldenStreamTest} builds the stream by hand from the tables above, computing only the CRCs, and
 * checks that it equals both files, that decoding gives its image field by field and that encoding that image
 * gives it byte for byte; a second implementation can check its reader and writer against the same files.
 *
 * <h2>What a reader refuses</h2>
 * Checked in stream order, first problem wins: a wrong magic; a frame header, payload or CRC that runs past the end
 * of the bytes ("truncated"); a frame CRC mismatch ("corrupt"); an unknown type, or a type other than the one the
 * fixed order and the header's counts call for ("reordered, repeated or missing"), e.g. a second HEADER, or
 * QUEUED_WRITES before a DEVICE_STATE the header announced; nonzero frame flags or reserved fields; a section
 * number other than the frame's position; a version other than 1 (the version is checked right after the first
 * frame's CRC, before any other field, so any future reader can name it); a field that does not fit in its
 * payload, or payload bytes left over; invalid values (the checks of {@link dev.mmiomediator.pci.PciAddress},
 * {@link dev.mmiomediator.vfio.MigrationFlags#fromBits}, {@link dev.mmiomediator.policy.QueuedWrite} and the
 * records of this package: BAR above 5, empty data, negative sequence or offset, malformed UTF-8); a device with
 * two DEVICE_STATE sections; a queued write whose device has no DEVICE_STATE section; a queued-write count or END
 * counts other than the header's; a stream CRC mismatch (catches whole frames swapped or replaced with their own
 * valid CRCs); bytes after END; a stream length other than the header's.
 *
 * <p>Every single-byte change is detected: the magic is compared, every other byte lies in a frame covered by its
 * CRC32C, which detects every error burst of up to 32 bits. (A changed length field makes the reader check a
 * different range against a different stored value; the END frame's stream CRC and the stream length back that up.)
 *
 * <h2>Reading from a peer, in bounded memory</h2>
 * {@link dev.mmiomediator.migration.stream.StreamReader} reads a stream from an input stream frame by frame and
 * stops right after END's CRC. It holds one frame at a time; each limit of its
 * {@link dev.mmiomediator.migration.stream.StreamLimits} is checked as soon as the value it bounds is read: a frame
 * longer than {@code maxFrameBytes}, or one that would take the stream past {@code maxStreamBytes} or past the length
 * the header announced, right after the frame's 12 header bytes, before any of its payload is read; a header
 * announcing a longer stream or more queued writes than allowed, right after the header; device states past
 * {@code maxDeviceStateBytes} as they come. RAM sections go to a {@link dev.mmiomediator.migration.stream.RamSink} as
 * they arrive (the destination stages them in a temporary file); the whole-stream CRC is kept as the frames go by.
 * A {@link dev.mmiomediator.migration.stream.HeaderCheck} lets the destination refuse a stream for another VM at its
 * header. {@link dev.mmiomediator.migration.stream.MigrationStream#read} is the same reader, keeping the RAM.
 * {@link dev.mmiomediator.migration.stream.MigrationStream#write} writes frame by frame too and returns the
 * {@link dev.mmiomediator.migration.stream.StreamDigest} (length and END's stream CRC) that the destination's
 * {@code OK} must name.
 */
package dev.mmiomediator.migration.stream;

import dev.mmiomediator.input.StreamFormatException;
