package dev.mmiomediator.dma;

/**
 * Decides what happens to a non-vCPU access that hits a P2P section. The policy engine plugs in here; the
 * default is {@link MasterAbortP2pHandler}. Called on the accessing thread, outside any lock: implementations
 * must be thread-safe. A port hands its handler the same {@link P2pAccess} every time, whose
 * {@link P2pAccess#handlerSlot() slot} the handler may use as its per-port cache (one thread at a time).
 */
@FunctionalInterface
public interface P2pHandler {
    /**
     * Handles one piece. For a read, fill the first {@code access.length()} bytes of {@code access.data()} (they are
     * zero on entry). The access and its array are valid during the call only: a port reuses both for its next
     * piece, so keep a {@link P2pAccess#copy()} of what must outlive the call.
     *
     * @return {@link MemTxResult} bits, normally including one P2P outcome bit
     */
    int handle(P2pAccess access);
}
