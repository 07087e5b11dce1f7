/**
 * Queues for trapped P2P writes: {@link dev.mmiomediator.benchmarks.queue.TrappedWriteQueueBenchmark}, jctools
 * against the JDK. Multi-threaded through a JMH group; the queue is shared by the group, records per thread.
 */
package dev.mmiomediator.benchmarks.queue;
