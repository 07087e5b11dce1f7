package dev.mmiomediator.migration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * A {@link MigrationChannel} whose every read and write is under {@link Deadlines}: the one way the orchestrators
 * and the listener bound their waits on a peer.
 */
final class GuardedChannel implements MigrationChannel {
    private final MigrationChannel channel;
    private final Deadlines deadlines;
    private final InputStream in;
    private final OutputStream out;

    GuardedChannel(MigrationChannel channel, Duration idle, Duration overall, String what) {
        this.channel = channel;
        this.deadlines = new Deadlines(channel, channel.peer(), idle, overall, what);
        this.in = deadlines.guard(channel.in());
        this.out = deadlines.guard(channel.out());
    }

    /** New limits from now on (the listener gives a source that sent a valid header the time a stream needs). */
    void limit(Duration idle, Duration overall, String what) {
        deadlines.limit(idle, overall, what);
    }

    @Override
    public InputStream in() {
        return in;
    }

    @Override
    public OutputStream out() {
        return out;
    }

    @Override
    public String peer() {
        return channel.peer();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
