/**
 * A simulated passthrough device for tests and the command-line tool:
 * {@link dev.mmiomediator.vfio.sim.SimulatedPassthroughDevice} plays the hardware and the VFIO migration driver
 * behind a {@link dev.mmiomediator.vfio.PassthroughDevice}. Its BARs are heap memory, it records every MMIO
 * access it receives and fails hard (recording a violation) on an access in a state that must not be touched,
 * and it saves and restores its BAR contents, registers and write ledger (every MMIO write it took) through the
 * migration data sessions, in a small versioned format with a checksum so that a wrong, truncated or corrupted
 * stream is refused.
 *
 * <p>Everything here is thread-safe: a simulated device synchronizes on itself, so MMIO from any thread
 * interleaves with arcs one operation at a time, as on real hardware.
 */
package dev.mmiomediator.vfio.sim;
