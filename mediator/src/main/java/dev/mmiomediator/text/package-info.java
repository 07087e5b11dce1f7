/**
 * Reading text a user hands us (dumps, topology files) without trusting it: strict UTF-8 decoding and a limit
 * on line length, each failure reported through the caller's own format exception with the line it is on.
 *
 * <p>Stateless and thread-safe.
 */
package dev.mmiomediator.text;
