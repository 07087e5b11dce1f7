package dev.mmiomediator.migration.stream;

/**
 * Asked by a {@link StreamReader} right after a stream's header section, before anything else is read: the reader
 * of a destination refuses at once a stream for another VM or with the wrong number of devices.
 */
@FunctionalInterface
public interface HeaderCheck {
    /**
     * Why a stream with this header is not acceptable, naming the value and what was expected; null if it is.
     */
    String problem(String vm, long deviceSections, long ramSections, long queuedWrites);
}
