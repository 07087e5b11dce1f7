package dev.mmiomediator.vfio;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;

/**
 * The reading end of a saving session: the device's state bytes, as {@code read()} on the {@code data_fd}
 * that {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} returns for an arc into the saving group.
 *
 * <p>The session stays open while the device moves within the saving group (PRE_COPY, PRE_COPY_P2P,
 * STOP_COPY) and ends when it leaves it. In PRE_COPY and PRE_COPY_P2P the stream can be momentarily empty
 * ({@code read} returns 0, the kernel's {@code ENOMSG}); in STOP_COPY it has a permanent end ({@code -1}).
 */
public non-sealed interface MigrationDataSource extends MigrationData {
    /**
     * Copies up to {@code dst.writableBytes()} bytes into {@code dst}, advancing its writer index.
     *
     * @return the number of bytes copied, 0 if none are available now, -1 at the end of the stream
     * @throws IOException if the session is closed or the device failed
     */
    int read(ByteBuf dst) throws IOException;

    /**
     * Everything available now, in a new heap buffer the caller owns: up to the end of the stream in
     * STOP_COPY, up to the momentary end in pre-copy.
     *
     * @throws IOException if the session is closed or the device failed
     */
    default ByteBuf readAvailable() throws IOException {
        ByteBuf out = Unpooled.buffer(4096);
        while (true) {
            out.ensureWritable(4096);
            int n = read(out);
            if (n <= 0) {
                return out;
            }
        }
    }
}
