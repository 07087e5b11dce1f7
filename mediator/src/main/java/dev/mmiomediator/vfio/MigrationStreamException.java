package dev.mmiomediator.vfio;

import java.io.IOException;

/**
 * Migration data that a device refuses: wrong format or version, a layout that does not match the device,
 * a truncated or corrupted stream, or a session that is closed. The message says which and by how much.
 */
public final class MigrationStreamException extends IOException {
    /** A refusal explained by {@code message}. */
    public MigrationStreamException(String message) {
        super(message);
    }
}
