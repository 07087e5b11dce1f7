/**
 * What happened during a migration, and when: the events the policy engine and the two migration sides report to
 * a {@link dev.mmiomediator.trace.TraceListener}, and {@link dev.mmiomediator.trace.TraceRecorder}, which keeps
 * them (bounded, stamped with the wall clock) as {@link dev.mmiomediator.trace.TraceEvent}s for a trace file or a
 * timeline picture.
 *
 * <p>Events are reported on the thread where they happen, at the moment they happen (a span at its end, with its
 * duration): P2P accesses on the accessing threads, concurrently; transitions, phases, replays, the stream and the
 * VM's stop and resume on the thread that runs the side. A listener must therefore be thread-safe, quick, and must
 * not throw. Nobody listens by default: with no listener set, the engine's P2P path does one field read more and
 * nothing else, and RAM and MMIO accesses never reach this package at all.
 *
 * <p>This package sits at layer 1: it uses {@code dma} (the P2P access), {@code vfio} (migration states) and
 * {@code pci} only, so that the policy engine (layer 2) and the migration layer can both report to it. The names
 * of things above it (a policy's decision, the migration phase) travel as their {@code name()}.
 */
package dev.mmiomediator.trace;
