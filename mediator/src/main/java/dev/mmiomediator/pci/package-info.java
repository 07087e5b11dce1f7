/**
 * PCI identity, the bottom layer every other package may name: a function's address
 * ({@link dev.mmiomediator.pci.PciAddress}, {@code domain:bus:device.function}) and one of its memory BARs
 * ({@link dev.mmiomediator.pci.PciBar}, index and size).
 *
 * <p>This package imports nothing of the project. All its types are immutable values.
 */
package dev.mmiomediator.pci;
