package dev.mmiomediator.benchmarks.queue;

/**
 * A posted write trapped on its way to a passthrough BAR that cannot take it now, as queue-and-replay keeps it
 * until the target runs again: the benchmark's stand-in for the policy engine's own record (being built on
 * main), with the same fields.
 *
 * @param sequence  the write's place in the replay order
 * @param initiator who wrote (an initiator id)
 * @param device    the target passthrough device (an id)
 * @param bar       the target BAR
 * @param offset    offset in the BAR
 * @param length    bytes written
 * @param data      the bytes (owned by the record)
 */
public record TrappedWrite(long sequence, int initiator, int device, int bar, long offset, int length, byte[] data) {
}
