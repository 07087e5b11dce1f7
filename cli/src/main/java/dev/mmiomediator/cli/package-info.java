/**
 * The {@code mmio-mediator} command-line tool ({@link dev.mmiomediator.cli.Main}), built with picocli. Every
 * command has {@code --help}; bad input exits with code 2 and a one-line message on standard error, never a
 * stack trace. The tool binds slf4j-simple; the library itself never binds a logging backend.
 */
package dev.mmiomediator.cli;
