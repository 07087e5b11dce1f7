/**
 * Address-to-range dispatch: {@link dev.mmiomediator.benchmarks.lookup.LookupBenchmark} (one thread, every
 * design, three map sizes, two address patterns) and
 * {@link dev.mmiomediator.benchmarks.lookup.ConcurrentLookupBenchmark} (one reader and two readers, alone, next
 * to a republishing writer and next to a CPU-only control thread). Every design implements {@link dev.mmiomediator.benchmarks.lookup.RangeLookup} over the
 * same {@link dev.mmiomediator.benchmarks.lookup.RangeMap}: the mediator's own dispatch, plain Java collections
 * as baselines, and Java renditions of cloud-hypervisor, crosvm, rust-vmm vm-memory and QEMU, each saying what it
 * keeps of the original. A rendition keeps the costs that shape the original's lookup (locks, atomic counts,
 * pointer chasing, table walks); it cannot keep Rust's or C's code generation.
 *
 * <p>Thread-safety is stated per class; the suites' state is set up once per trial from fixed seeds.
 */
package dev.mmiomediator.benchmarks.lookup;
