/**
 * The {@code mmio-mediator} command-line tool ({@link dev.mmiomediator.cli.Main}), built with picocli. Every
 * command has {@code --help}; a failure exits with the code {@link dev.mmiomediator.cli.Main} tabulates (2 for bad
 * input) and a one-line message on standard error, with a stack trace only under {@code -v}. The tool binds slf4j-simple; the library itself never binds a logging backend.
 */
package dev.mmiomediator.cli;
