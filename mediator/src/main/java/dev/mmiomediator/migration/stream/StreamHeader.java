package dev.mmiomediator.migration.stream;

/**
 * What a stream's header section announces.
 *
 * @param vm             the VM's name
 * @param deviceSections the number of device-state sections
 * @param ramSections    the number of RAM sections
 * @param queuedWrites   the number of queued writes
 * @param streamBytes    the stream's length, magic to the end marker's CRC
 */
public record StreamHeader(String vm, long deviceSections, long ramSections, long queuedWrites, long streamBytes) {
}
