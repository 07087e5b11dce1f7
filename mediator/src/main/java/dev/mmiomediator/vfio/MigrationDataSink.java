package dev.mmiomediator.vfio;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * The writing end of a resuming session: the {@code data_fd} that {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}
 * returns for the arc into RESUMING. The device loads what was written when it leaves RESUMING; a stream it
 * cannot load makes that arc fail.
 */
public non-sealed interface MigrationDataSink extends MigrationData {
    /**
     * Consumes every readable byte of {@code src}, advancing its reader index.
     *
     * @throws MigrationStreamException if the device refuses the bytes (the device's state is unchanged)
     * @throws IOException              if the session is closed or the device failed
     */
    void write(ByteBuf src) throws IOException;
}
