package dev.mmiomediator.migration.stream;

import java.util.Objects;

/**
 * A stream a {@link StreamReader} read to its end marker and found valid.
 *
 * @param image  what it carried; its RAM list is empty when the RAM went to a {@link RamSink}
 * @param digest its length and checksum
 */
public record ReceivedStream(MigrationImage image, StreamDigest digest) {
    /** @throws NullPointerException if either is null */
    public ReceivedStream {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(digest, "digest");
    }
}
