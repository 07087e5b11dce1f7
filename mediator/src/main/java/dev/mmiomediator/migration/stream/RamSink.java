package dev.mmiomediator.migration.stream;

import java.io.IOException;

/**
 * Receives a stream's RAM sections one by one as a {@link StreamReader} reads them, each already checked against
 * its frame's CRC, so that the reader never holds the guest's RAM. What it receives is not yet known good: the
 * stream may still turn out truncated or corrupt further on, so a sink stages the sections and applies them only
 * once the whole stream is read (see {@link dev.mmiomediator.migration.RamStaging}).
 */
@FunctionalInterface
public interface RamSink {
    /**
     * Takes one section.
     *
     * @throws IllegalArgumentException naming the section if it does not fit the VM (the stream is refused there)
     * @throws IOException              if keeping it fails
     */
    void accept(RamSection section) throws IOException;
}
