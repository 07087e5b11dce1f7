/**
 * Reading input a user or a peer hands us (dumps, topology files, migration streams) without trusting it:
 * strict UTF-8 decoding and a limit on line length ({@link dev.mmiomediator.input.InputText}), and the
 * format errors that name where the input went wrong.
 *
 * <p>This package imports nothing of the project. Stateless and thread-safe.
 */
package dev.mmiomediator.input;
