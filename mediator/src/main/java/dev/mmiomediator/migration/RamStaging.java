package dev.mmiomediator.migration;

import dev.mmiomediator.migration.stream.RamSection;
import dev.mmiomediator.migration.stream.RamSink;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a destination keeps the RAM sections of a stream while the rest of it arrives: in a temporary file (deleted
 * when closed), so that neither the guest's RAM nor anything a sender announces is held in memory, and nothing
 * reaches the VM before the whole stream is known good. Each section is checked against the VM
 * ({@link VmHooks#checkRam}) as it arrives; {@link #apply} hands them to {@link VmHooks#loadRam} in stream order,
 * in batches of at most {@value #BATCH_BYTES} bytes.
 *
 * <p><b>Note:</b> not thread-safe; one staging per stream.
 */
public final class RamStaging implements RamSink, Closeable {
    /** The most RAM bytes handed to {@link VmHooks#loadRam} at once. */
    public static final int BATCH_BYTES = 4 << 20;

    private final VmHooks hooks;
    private final Path directory;
    private Path file;
    private FileChannel channel;
    private long sections;
    private long bytes;

    /**
     * @param directory where the temporary file goes; null for the system's temporary directory
     */
    public RamStaging(VmHooks hooks, Path directory) {
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.directory = directory;
    }

    @Override
    public void accept(RamSection s) throws IOException {
        hooks.checkRam(s);
        if (channel == null) {
            file = directory == null ? Files.createTempFile("mmio-mediator-ram-", ".staging")
                    : Files.createTempFile(directory, "mmio-mediator-ram-", ".staging");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
        }
        byte[] region = s.region().getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(2 + region.length + 8 + 4);
        head.putShort((short) region.length).put(region).putLong(s.offset()).putInt(s.data().length).flip();
        writeFully(head);
        writeFully(ByteBuffer.wrap(s.data()));
        sections++;
        bytes += s.data().length;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The sections staged. */
    public long sections() {
        return sections;
    }

    /** The RAM bytes staged. */
    public long bytes() {
        return bytes;
    }

    /**
     * Hands every staged section to {@link VmHooks#loadRam}, in the order they came.
     *
     * @throws IOException if reading the staging file fails
     */
    public void apply() throws IOException {
        if (channel == null) {
            return;
        }
        long at = 0;
        List<RamSection> batch = new ArrayList<>();
        long batchBytes = 0;
        for (long i = 0; i < sections; i++) {
            ByteBuffer len = readFully(at, 2);
            int regionLength = Short.toUnsignedInt(len.getShort());
            ByteBuffer head = readFully(at + 2, regionLength + 12);
            byte[] region = new byte[regionLength];
            head.get(region);
            long offset = head.getLong();
            int length = head.getInt();
            byte[] data = readFully(at + 2 + regionLength + 12, length).array();
            at += 2 + regionLength + 12 + length;
            if (batchBytes + length > BATCH_BYTES && !batch.isEmpty()) {
                hooks.loadRam(batch);
                batch = new ArrayList<>();
                batchBytes = 0;
            }
            batch.add(new RamSection(new String(region, StandardCharsets.UTF_8), offset, data));
            batchBytes += length;
        }
        if (!batch.isEmpty()) {
            hooks.loadRam(batch);
        }
    }

    private ByteBuffer readFully(long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, at + b.position()) < 0) {
                throw new IOException("RAM staging file " + file + " ends at byte " + (at + b.position())
                        + ", expected " + (at + n));
            }
        }
        return b.flip();
    }

    /** Deletes the staging file. */
    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
