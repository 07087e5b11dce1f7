package dev.mmiomediator.policy;

import dev.mmiomediator.dma.P2pAccess;
import dev.mmiomediator.pci.PciAddress;

import java.util.Arrays;

/**
 * What a {@link PolicyEngine} keeps in one port's {@link P2pAccess#handlerSlot() handler slot}: per target device
 * the port reached lately, a {@link Route} (the counter cell, the registered target, the last request, which master
 * aborts were already logged), so that a port's next access to the same device looks nothing up in a shared map and
 * counts without an atomic read-modify-write.
 *
 * <p>The cached target is only a hint: the engine checks under the device's inbound lock, which it takes anyway,
 * that the target is still open ({@link HeldWrites#isOpen()}: unregistering closes it under the exclusive side), and
 * looks the device up again if not, so a device unregistered or registered anew is never served from here.
 *
 * <p><b>Note:</b> not thread-safe: one port's, used by the port's thread only (a port's access is). Holds at most
 * {@value #MAX_ROUTES} routes; beyond that it replaces the oldest, whose counts stay in the row (the row keeps one
 * cell per cache, found again when the route comes back).
 */
final class PortCache {
    /** The most target devices one port's cache remembers. */
    static final int MAX_ROUTES = 8;

    /** The engine whose cache this is: a slot filled by another handler (or engine) is not ours. */
    final PolicyEngine engine;
    private Route last;
    private Route[] routes = new Route[2];
    private int size;
    /** Where the next route goes once the cache is full (the oldest). */
    private int next;

    PortCache(PolicyEngine engine) {
        this.engine = engine;
    }

    /**
     * What the engine knows about one (port, target device) pair, or, for an access without a port, about one
     * access. Only the thread of the port (or of the access) touches it.
     */
    static final class Route {
        /** The target device. */
        final PciAddress device;
        /** Where the access's outcomes are counted: the port's cell of the row, or the row itself. */
        final CounterTable.Counts counts;
        /** The cache the route is in (it keeps the cache, which owns the cell, reachable); null without a port. */
        final PortCache cache;
        /** The registered target as last found, or null if the device was not registered then. */
        HeldWrites target;
        /** The request last asked about on this route, for reuse in the same situation; null at first. */
        P2pRequest request;
        /** Bit {@code b} set: a master abort of this port's initiator on the device's BAR {@code b} was decided. */
        private int abortedBars;

        Route(PciAddress device, CounterTable.Counts counts, PortCache cache) {
            this.device = device;
            this.counts = counts;
            this.cache = cache;
        }

        /**
         * Whether the master abort of {@code access} (on this route) is the first for its initiator and BAR, which
         * {@code warnings} decides once for every thread; asks it once per route and BAR.
         */
        boolean firstMasterAbort(P2pAccess access, EngineWarnings warnings) {
            int bit = 1 << access.bar().bar();
            if (cache != null && (abortedBars & bit) != 0) {
                return false;
            }
            abortedBars |= bit;
            return warnings.firstMasterAbort(access);
        }
    }

    /** The route to {@code device}, or null if this cache has none. */
    Route route(PciAddress device) {
        Route r = last;
        if (r != null && (r.device == device || r.device.equals(device))) {
            return r;
        }
        for (int i = 0; i < size; i++) {
            r = routes[i];
            if (r.device.equals(device)) {
                last = r;
                return r;
            }
        }
        return null;
    }

    /** Adds {@code route} (to a device this cache has no route to), replacing the oldest if it is full. */
    Route add(Route route) {
        if (size < MAX_ROUTES) {
            if (size == routes.length) {
                routes = Arrays.copyOf(routes, Math.min(MAX_ROUTES, size * 2));
            }
            routes[size++] = route;
        } else {
            routes[next] = route;
            next = (next + 1) % MAX_ROUTES;
        }
        last = route;
        return route;
    }
}
