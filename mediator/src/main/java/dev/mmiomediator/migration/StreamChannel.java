package dev.mmiomediator.migration;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A {@link MigrationChannel} over a pair of streams, closed by closing {@code resource} (the socket, or both
 * pipe ends): the one implementation behind {@link MigrationChannel#of} and {@link MigrationChannel#inMemoryPair}.
 */
record StreamChannel(InputStream in, OutputStream out, String peer, Closeable resource) implements MigrationChannel {
    @Override
    public void close() throws IOException {
        resource.close();
    }
}
