/**
 * The VFIO migration state machine (Linux uapi, migration protocol v2) and the passthrough device model.
 *
 * <ul>
 *   <li>{@link dev.mmiomediator.vfio.MigrationState}: the eight states with their uapi numbers and what
 *       each allows (accepts inbound MMIO, may initiate DMA, must not be touched, saving, resuming).</li>
 *   <li>{@link dev.mmiomediator.vfio.MigrationFlags}: what a device supports ({@code STOP_COPY} is
 *       mandatory, {@code P2P} and {@code PRE_COPY} optional) and so which states it can be in.</li>
 *   <li>{@link dev.mmiomediator.vfio.MigrationFsm}: the kernel's next-step rule
 *       ({@code vfio_mig_get_next_state()} in {@code drivers/vfio/vfio_main.c}) and the multi-step paths
 *       it produces; a refused move is a {@link dev.mmiomediator.vfio.MigrationTransitionException}.</li>
 *   <li>{@link dev.mmiomediator.vfio.PassthroughDevice}: one VFIO function, which walks a path one arc at a
 *       time through its {@link dev.mmiomediator.vfio.MigrationDriver}; an emulator plugs real
 *       {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} calls in, tests plug in the simulated device of
 *       {@code dev.mmiomediator.vfio.sim}.</li>
 *   <li>Migration data: an arc that opens a saving session yields a
 *       {@link dev.mmiomediator.vfio.MigrationDataSource} (the kernel's {@code data_fd} for reading), the arc
 *       into {@code RESUMING} a {@link dev.mmiomediator.vfio.MigrationDataSink}; bytes travel in netty
 *       {@link io.netty.buffer.ByteBuf}s.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Enums, {@code MigrationFlags}, {@code PciAddress}, {@code PciBar} and {@code Transition} are immutable.
 * A {@code PassthroughDevice} serializes transitions and resets with its own lock and publishes its
 * state with one volatile store after each completed arc, so the dispatch path reads
 * {@link dev.mmiomediator.vfio.PassthroughDevice#state()} on any thread without locking and sees a state
 * the device has really reached.
 */
package dev.mmiomediator.vfio;

import dev.mmiomediator.pci.PciBar;

import dev.mmiomediator.pci.PciAddress;
