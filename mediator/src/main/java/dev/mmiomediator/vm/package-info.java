/**
 * The entry point for emulators: {@link dev.mmiomediator.vm.MediatedVm} wires a VM's address space, its
 * passthrough (VFIO) functions and a P2P policy in one builder, and hands back the DMA ports, the functions to
 * migrate and the policy engine. {@link dev.mmiomediator.vm.BarRegionTarget} is the default P2P target: the BAR's
 * own region, so a peer and the vCPU see the same bytes.
 *
 * <p>This package only composes the layers below it ({@code policy}, {@code dma}, {@code vfio}, {@code memory});
 * everything it builds can also be built by hand from them, as the README's "Embedding the mediator" describes.
 * Thread-safety is that of the parts: a built VM is immutable, ports belong to one thread each.
 */
package dev.mmiomediator.vm;
