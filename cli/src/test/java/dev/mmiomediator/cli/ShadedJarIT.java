package dev.mmiomediator.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped {@code cli/target/mmio-mediator.jar}, run as a user runs it ({@code java -jar}), after the shade
 * plugin has minimized it: what the unit tests prove from the class path must still hold in the jar, whose fastutil
 * part keeps only the classes the code reaches. Run by failsafe in {@code verify}, after {@code package}.
 */
class ShadedJarIT {
    private static final Path JAR = Path.of(System.getProperty("mmio.cli.jar", "target/mmio-mediator.jar"));

    @TempDir
    Path tmp;

    private Process start(String name, String... args) throws IOException {
        assertTrue(Files.isRegularFile(JAR), "no shaded jar at " + JAR.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(tmp.resolve(name + ".out").toFile())
                .redirectError(tmp.resolve(name + ".err").toFile()).start();
    }

    private String finish(String name, Process p) throws Exception {
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), name + " did not end within 120 s");
        String out = Files.readString(tmp.resolve(name + ".out"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), name + " exit code; stderr: "
                + Files.readString(tmp.resolve(name + ".err"), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void versionIsThePomsVersion() throws Exception {
        String out = finish("version", start("version", "--version"));
        assertEquals("mmio-mediator " + System.getProperty("project.version"), out.strip());
    }

    @Test
    void theBuiltinPoliciesAreFoundInTheJar() throws Exception {
        String out = finish("policies", start("policies", "policies"));
        for (String name : List.of("abort-migration", "example-nic-first", "fail-always", "queue-and-replay",
                "require-p2p")) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(name + " ")), name + " missing from:\n" + out);
        }
    }

    @Test
    void theMainJobKeepsIntegrityUnderEveryPolicy() throws Exception {
        JsonObject report = JsonReport.of(finish("simulate", start("simulate", "simulate", "--json")));
        List<String> policies = new ArrayList<>();
        for (JsonElement e : report.getAsJsonArray("runs")) {
            JsonObject run = e.getAsJsonObject();
            String policy = run.get("policy").getAsString();
            policies.add(policy);
            assertEquals(0, run.get("lost").getAsLong(), policy);
            assertEquals(0, run.get("duplicated").getAsLong(), policy);
            assertTrue(run.get("imagesMatch").getAsBoolean(), policy);
        }
        assertEquals(List.of("fail-always", "abort-migration", "queue-and-replay", "require-p2p"), policies);
    }

    @Test
    void twoProcessesMigrateOverLoopback() throws Exception {
        MigrateProcess destination = MigrateProcess.startJar(tmp, "destination", JAR, "--listen", "0", "--json");
        MigrateProcess source = null;
        try {
            int port = destination.awaitPort(Duration.ofSeconds(30));
            source = MigrateProcess.startJar(tmp, "source", JAR, "--to", "127.0.0.1:" + port, "--json");
            assertTrue(source.awaitExit(Duration.ofSeconds(120)), "the source did not end within 120 s");
            assertTrue(destination.awaitExit(Duration.ofSeconds(120)), "the destination did not end within 120 s");
            String both = MigrateProcess.diagnostics(source, destination);
            assertEquals(0, source.process.exitValue(), both);
            assertEquals(0, destination.process.exitValue(), both);
            assertEquals("completed", source.field("outcome"), both);
            assertEquals("completed", destination.field("outcome"), both);
            assertEquals(source.field("expectedDigest"), destination.field("sourcePartDigest"), both);
        } finally {
            destination.destroy();
            if (source != null) {
                source.destroy();
            }
        }
    }

    @Test
    void theTimelineIsDrawnInPngAndSvgFromTheJar() throws Exception {
        Path png = tmp.resolve("timeline.png");
        Path svg = tmp.resolve("timeline.svg");
        finish("png", start("png", "simulate", "--policy", "queue-and-replay", "--timeline", png.toString()));
        finish("svg", start("svg", "simulate", "--policy", "abort-migration", "--timeline", svg.toString()));
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(TimelineChart.WIDTH, image.getWidth());
        assertEquals(TimelineChart.height(6), image.getHeight());
        String text = Files.readString(svg, StandardCharsets.UTF_8);
        assertTrue(text.contains("<svg") && text.contains("</svg>"), text.substring(0, Math.min(300, text.length())));
    }

    @Test
    void theTwoSidesTracesHaveTheirOwnProcessesAndLineUp() throws Exception {
        Path sourceTrace = tmp.resolve("source.json");
        Path destinationTrace = tmp.resolve("destination.json");
        MigrateProcess destination = MigrateProcess.startJar(tmp, "destination", JAR, "--listen", "0", "--json",
                "--trace", destinationTrace.toString());
        MigrateProcess source = null;
        try {
            int port = destination.awaitPort(Duration.ofSeconds(30));
            source = MigrateProcess.startJar(tmp, "source", JAR, "--to", "127.0.0.1:" + port, "--json",
                    "--trace", sourceTrace.toString());
            assertTrue(source.awaitExit(Duration.ofSeconds(120)), "the source did not end within 120 s");
            assertTrue(destination.awaitExit(Duration.ofSeconds(120)), "the destination did not end within 120 s");
            String both = MigrateProcess.diagnostics(source, destination);
            assertEquals(0, source.process.exitValue(), both);
            assertEquals(0, destination.process.exitValue(), both);
            long[] src = span(sourceTrace);
            long[] dst = span(destinationTrace);
            assertTrue(src[0] != dst[0], "one pid per process: " + src[0]);
            // wall clock: the destination received the stream while the source sent it
            assertTrue(dst[1] <= src[2] && src[1] <= dst[2], "the two traces overlap in time: source "
                    + src[1] + ".." + src[2] + ", destination " + dst[1] + ".." + dst[2]);
        } finally {
            destination.destroy();
            if (source != null) {
                source.destroy();
            }
        }
    }

    /** The trace's one pid, and its first and last timestamps. */
    private static long[] span(Path trace) throws IOException {
        long pid = -1;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (JsonElement e : com.google.gson.JsonParser.parseString(Files.readString(trace)).getAsJsonObject()
                .getAsJsonArray("traceEvents")) {
            JsonObject o = e.getAsJsonObject();
            assertTrue(pid == -1 || pid == o.get("pid").getAsLong(), "one process per side's trace: " + o);
            pid = o.get("pid").getAsLong();
            if (o.has("ts")) {
                first = Math.min(first, o.get("ts").getAsLong());
                last = Math.max(last, o.get("ts").getAsLong() + (o.has("dur") ? o.get("dur").getAsLong() : 0));
            }
        }
        return new long[] {pid, first, last};
    }
}
