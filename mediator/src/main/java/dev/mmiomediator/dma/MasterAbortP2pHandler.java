package dev.mmiomediator.dma;

import dev.mmiomediator.memory.PassthroughBar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default P2P behaviour, as on a real system without peer-to-peer support: a master abort. Reads return
 * all-ones, writes are dropped, and the first such access of each (initiator, BAR) pair is logged at WARN
 * through slf4j, never one line per access. Thread-safe.
 */
public final class MasterAbortP2pHandler implements P2pHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MasterAbortP2pHandler.class);

    private record Pair(String initiator, PassthroughBar bar) {
    }

    private final Set<Pair> logged = ConcurrentHashMap.newKeySet();

    @Override
    public int handle(P2pAccess access) {
        if (!access.write()) {
            Arrays.fill(access.data(), 0, access.length(), (byte) 0xff);
        }
        if (logged.add(new Pair(access.initiator().id(), access.bar()))) {
            LOG.warn("P2P access master-aborted: {} (reads return all-ones, writes are dropped; logged once per "
                    + "initiator and BAR)", access);
        }
        return MemTxResult.P2P_FAILED;
    }

    /** How many (initiator, BAR) pairs have been logged. */
    public int loggedPairs() {
        return logged.size();
    }
}
