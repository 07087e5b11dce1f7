package dev.mmiomediator.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link MigrationDataSource#readAvailable()}: everything up to the momentary end of a pre-copy stream (a read of
 * 0, the kernel's ENOMSG) or the permanent end of a STOP_COPY stream (-1), and not a byte beyond.
 */
class MigrationDataSourceTest {
    /** A stream given as chunks; an empty chunk is a momentary end (read returns 0); after the last, -1. */
    static final class Chunks implements MigrationDataSource {
        private final Deque<String> chunks;

        Chunks(List<String> chunks) {
            this.chunks = new ArrayDeque<>(chunks);
        }

        @Override
        public int read(ByteBuf dst) {
            String c = chunks.poll();
            if (c == null) {
                return -1;
            }
            byte[] b = c.getBytes(StandardCharsets.US_ASCII);
            dst.writeBytes(b);
            return b.length;
        }
    }

    private static String text(ByteBuf b) {
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void aPreCopyReadStopsAtTheMomentaryEndAndTheNextOneGoesOn() throws Exception {
        Chunks source = new Chunks(List.of("abc", "def", "", "ghi", ""));
        assertEquals("abcdef", text(source.readAvailable()));
        assertEquals("ghi", text(source.readAvailable()));
    }

    @Test
    void aStopCopyReadGoesToThePermanentEnd() throws Exception {
        Chunks source = new Chunks(List.of("state", "-bytes"));
        assertEquals("state-bytes", text(source.readAvailable()));
        assertEquals("", text(source.readAvailable()), "after the end: nothing more");
    }

    @Test
    void aReadLargerThanOneBufferGrowsIt() throws Exception {
        String big = "x".repeat(10_000);
        assertEquals(big + "y", text(new Chunks(List.of(big, "y")).readAvailable()));
    }
}
