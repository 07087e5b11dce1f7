package dev.mmiomediator.cli;

import dev.mmiomediator.migration.MigrationChannel;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * For testing only ({@code migrate --to ... --pace-bytes-per-s N}): a {@link MigrationChannel} whose output goes to
 * the peer at most {@code N} bytes a second, in pieces of a fiftieth of a second, each flushed, so that a test sees
 * the stream under way long enough to act in the middle of it (kill a process, say).
 *
 * <p><b>Note:</b> not thread-safe; one writer, like every migration channel.
 */
final class PacedChannel {
    private PacedChannel() {
    }

    static MigrationChannel of(MigrationChannel channel, long bytesPerSecond) {
        OutputStream paced = new Paced(channel.out(), bytesPerSecond);
        return new MigrationChannel() {
            @Override
            public InputStream in() {
                return channel.in();
            }

            @Override
            public OutputStream out() {
                return paced;
            }

            @Override
            public String peer() {
                return channel.peer();
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    private static final class Paced extends FilterOutputStream {
        private final long bytesPerSecond;
        private final int piece;
        private long start;
        private long sent;

        Paced(OutputStream out, long bytesPerSecond) {
            super(out);
            this.bytesPerSecond = bytesPerSecond;
            this.piece = (int) Math.max(1, Math.min(1 << 16, bytesPerSecond / 50));
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (start == 0) {
                start = System.nanoTime();
            }
            for (int done = 0; done < len; ) {
                int n = Math.min(len - done, piece);
                out.write(b, off + done, n);
                out.flush();
                done += n;
                sent += n;
                long due = start + (long) (sent * 1e9 / bytesPerSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while pacing the stream");
                    }
                }
            }
        }
    }
}
