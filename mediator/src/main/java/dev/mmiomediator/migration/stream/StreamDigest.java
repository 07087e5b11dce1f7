package dev.mmiomediator.migration.stream;

import java.util.Locale;

/**
 * What identifies one stream: its length and its whole-stream CRC32C (the one its end marker carries). The
 * destination names it in its {@code OK}, so that a source counts its held writes as carried only on a reply to
 * the very stream it sent.
 *
 * @param bytes  the stream's length, magic to the end marker's CRC
 * @param crc32c the CRC32C of the stream before its end marker, as the end marker carries it
 */
public record StreamDigest(long bytes, int crc32c) {
    /** {@code crc32c=1a2b3c4d bytes=8542768}, as the reply carries it. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "crc32c=%08x bytes=%d", crc32c, bytes);
    }
}
