package dev.mmiomediator.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** {@code --version} prints the version of the POM the tool was built from. */
class VersionTest {
    @Test
    void versionIsTheProjectVersionMavenBuilt() {
        String expected = System.getProperty("project.version");
        assertNotNull(expected, "surefire passes project.version (cli/pom.xml)");
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.code(), r.err());
        assertEquals("mmio-mediator " + expected + System.lineSeparator(), r.out());
        assertEquals("", r.err());
    }
}
