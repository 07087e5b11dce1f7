/**
 * jcstress tests of the DMA snapshot publication protocol: a {@link dev.mmiomediator.dma.Mediator} publishes
 * each rebuilt view with one volatile store, and a {@link dev.mmiomediator.dma.DmaPort} access reads it once,
 * so a racing access sees exactly one topology and a published view is always fully built; and a commit stores its
 * views in every live port's own field before it returns, so an access after a returned commit never sees the old view
 * ({@code PortStaleAfterReturnTest}).
 *
 * <p>{@code mvn verify} runs them briefly at {@code integration-test} (about 20 s: the quick preset with the default
 * JVM flags only; skip with {@code -Djcstress.skip=true}); a forbidden outcome fails the build. A long run, all JVM
 * and compilation modes (tens of minutes), from the shaded jar:
 * {@code cd benchmarks/target && java -cp benchmarks.jar org.openjdk.jcstress.Main -t
 * dev.mmiomediator.benchmarks.jcstress -m default -r jcstress/results} (or {@code mvn verify
 * -Djcstress.args="-m default"}). Each test's outcomes are strings with fixed ids; anything else is forbidden.
 */
package dev.mmiomediator.benchmarks.jcstress;
