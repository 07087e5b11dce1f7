package dev.mmiomediator.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --trace} and {@code --timeline}: the trace of a simulated run, parsed with Gson, against the run's own text
 * report (every device's path on both sides, transition by transition, and the P2P writes per result), and the
 * picture, read back as an image.
 */
class TraceOptionsTest {
    private static final Pattern COUNTS = Pattern.compile(
            "P2P writes (\\d+): forwarded (\\d+), failed (\\d+), queued (\\d+)");
    private static final Pattern PATH = Pattern.compile("^    (\\S+)  (.+)$");

    /** The text report's paths: side, then device, then its states. */
    private static Map<String, Map<String, List<String>>> reportedPaths(String report) {
        Map<String, Map<String, List<String>>> paths = new LinkedHashMap<>();
        String side = null;
        for (String line : report.split("\n")) {
            if (line.equals("  source:") || line.equals("  destination:")) {
                side = line.trim().replace(":", "");
                paths.put(side, new LinkedHashMap<>());
            } else if (side != null) {
                Matcher m = PATH.matcher(line);
                if (m.matches()) {
                    paths.get(side).put(m.group(1), Arrays.asList(m.group(2).split(" -> ")));
                }
            }
        }
        return paths;
    }

    /** The trace's paths per side: the state each device started in, then each transition's arcs, in time order. */
    private static Map<String, Map<String, List<String>>> tracedPaths(JsonObject trace) {
        Map<Long, String> processes = new TreeMap<>();
        Map<String, String> tracks = new LinkedHashMap<>();
        List<JsonObject> events = new ArrayList<>();
        for (JsonElement e : trace.getAsJsonArray("traceEvents")) {
            JsonObject o = e.getAsJsonObject();
            String ph = o.get("ph").getAsString();
            if (ph.equals("M") && o.get("name").getAsString().equals("process_name")) {
                processes.put(o.get("pid").getAsLong(), o.getAsJsonObject("args").get("name").getAsString());
            } else if (ph.equals("M") && o.get("name").getAsString().equals("thread_name")) {
                tracks.put(o.get("pid") + "/" + o.get("tid"), o.getAsJsonObject("args").get("name").getAsString());
            } else if (!ph.equals("M")) {
                events.add(o);
            }
        }
        events.sort((a, b) -> Long.compare(a.get("ts").getAsLong(), b.get("ts").getAsLong()));
        Map<String, Map<String, List<String>>> paths = new LinkedHashMap<>();
        processes.forEach((pid, name) -> paths.put(name.substring(name.indexOf(": ") + 2), new LinkedHashMap<>()));
        for (JsonObject e : events) {
            String side = processes.get(e.get("pid").getAsLong());
            side = side.substring(side.indexOf(": ") + 2);
            String cat = e.get("cat").getAsString();
            if (cat.equals("migration") && e.get("name").getAsString().equals("migration started")) {
                Map<String, List<String>> devices = paths.get(side);
                e.getAsJsonObject("args").entrySet().stream().filter(a -> a.getKey().matches("[0-9a-f:.]{12}"))
                        .forEach(a -> devices.put(a.getKey(), new ArrayList<>(List.of(a.getValue().getAsString()))));
            } else if (cat.equals("transition")) {
                String device = tracks.get(e.get("pid") + "/" + e.get("tid")).split(" ")[0];
                List<String> arcs = Arrays.asList(e.getAsJsonObject("args").get("path").getAsString().split(" -> "));
                List<String> path = paths.get(side).get(device);
                assertEquals(path.get(path.size() - 1), arcs.get(0), "a transition of " + device + " on the " + side
                        + " starts where the one before it ended: " + path + " then " + arcs);
                path.addAll(arcs.subList(1, arcs.size()));
            }
        }
        return paths;
    }

    @Test
    void theTraceHasEveryTransitionOnceInOrderAndTheP2pWritesPerResultOfTheReport(@TempDir Path dir)
            throws IOException {
        Path trace = dir.resolve("run.json");
        Path picture = dir.resolve("run.png");
        long before = System.currentTimeMillis() * 1000;
        CliRun r = CliRun.of("simulate", "--policy", "queue-and-replay", "--trace", trace.toString(),
                "--timeline", picture.toString());
        long after = System.currentTimeMillis() * 1000;
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());

        JsonObject parsed = JsonParser.parseString(Files.readString(trace, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, Map<String, List<String>>> reported = reportedPaths(r.out());
        assertEquals(List.of("source", "destination"), List.copyOf(reported.keySet()), r.out());
        assertEquals(3, reported.get("source").size(), r.out());
        assertEquals(3, reported.get("destination").size(), r.out());
        assertEquals(reported, tracedPaths(parsed), "the trace's transitions against the report:\n" + r.out());

        Matcher counts = COUNTS.matcher(r.out());
        assertTrue(counts.find(), r.out());
        Map<String, Long> byResult = new TreeMap<>(Map.of("forwarded", 0L, "failed", 0L, "queued", 0L));
        Map<String, Long> byDecision = new TreeMap<>();
        long p2p = 0;
        for (JsonElement e : parsed.getAsJsonArray("traceEvents")) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("ph").getAsString().equals("M")) {
                long ts = o.get("ts").getAsLong();
                assertTrue(ts >= before && ts <= after, "wall-clock microseconds within the run: " + o);
            }
            if (o.get("ph").getAsString().equals("i") && o.get("cat").getAsString().equals("p2p")) {
                JsonObject args = o.getAsJsonObject("args");
                String result = args.get("result").getAsString();
                byResult.merge(result.contains("P2P_QUEUED") ? "queued" : result.contains("P2P_FORWARDED")
                        ? "forwarded" : "failed", 1L, Long::sum);
                byDecision.merge(args.get("decision").getAsString(), 1L, Long::sum);
                assertEquals("write", args.get("direction").getAsString(), "the software devices only write P2P");
                assertEquals(o.get("name").getAsString(), args.get("decision").getAsString() + " write");
                assertNotNull(args.get("targetState"), o.toString());
                p2p++;
            }
        }
        assertEquals(Long.parseLong(counts.group(1)), p2p, "P2P writes: " + r.out());
        assertEquals(Map.of("forwarded", Long.parseLong(counts.group(2)), "failed", Long.parseLong(counts.group(3)),
                "queued", Long.parseLong(counts.group(4))), byResult, r.out());
        // queue-and-replay forwards while the target accepts and queues writes while it does not
        assertEquals(Map.of("FORWARD", byDecision.getOrDefault("FORWARD", 0L), "QUEUE",
                byDecision.getOrDefault("QUEUE", 0L)), byDecision);
        assertEquals(byResult.get("queued") + byResult.get("forwarded"), p2p);

        BufferedImage image = ImageIO.read(picture.toFile());
        assertNotNull(image, "a PNG");
        assertEquals(TimelineChart.WIDTH, image.getWidth());
        assertEquals(TimelineChart.height(6), image.getHeight(), "three devices on each side: six lanes");
    }

    @Test
    void eachSideIsOneProcessWithOneTrackPerDevice(@TempDir Path dir) throws IOException {
        Path trace = dir.resolve("t.json");
        CliRun r = CliRun.of("simulate", "--policy", "abort-migration", "--trace", trace.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject parsed = JsonParser.parseString(Files.readString(trace)).getAsJsonObject();
        Map<Long, String> processes = new TreeMap<>();
        List<String> sourceTracks = new ArrayList<>();
        List<String> instants = new ArrayList<>();
        for (JsonElement e : parsed.getAsJsonArray("traceEvents")) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("name").getAsString().equals("process_name")) {
                processes.put(o.get("pid").getAsLong(), o.getAsJsonObject("args").get("name").getAsString());
            } else if (o.get("name").getAsString().equals("thread_name") && o.get("pid").getAsLong() == 1) {
                sourceTracks.add(o.getAsJsonObject("args").get("name").getAsString());
            } else if (o.get("ph").getAsString().equals("i") && o.get("cat").getAsString().equals("migration")) {
                instants.add(o.get("name").getAsString());
            }
        }
        assertEquals(Map.of(1L, "abort-migration: source", 2L, "abort-migration: destination"), processes);
        assertEquals(List.of("migration", "phases", "VM", "stream", "downtime", "0000:01:00.0 (nic)",
                "0000:02:00.0 (gpu)", "0000:03:00.0 (fpga)"), sourceTracks);
        assertTrue(r.out().contains("abort-migration: aborted"), r.out());
        assertTrue(instants.contains("abort requested") && instants.contains("cancel")
                && instants.contains("migration aborted"), instants.toString());
    }

    @Test
    void anSvgTimelineIsWritten(@TempDir Path dir) throws IOException {
        Path picture = dir.resolve("t.svg");
        CliRun r = CliRun.of("simulate", "--policy", "fail-always", "--timeline", picture.toString());
        assertEquals(0, r.code(), r.err());
        String svg = Files.readString(picture);
        assertTrue(svg.contains("<svg") && svg.contains("</svg>"), svg.substring(0, Math.min(200, svg.length())));
        assertTrue(svg.contains("width=\"" + TimelineChart.WIDTH), svg.substring(0, Math.min(400, svg.length())));
    }

    @Test
    void severalRunsMakeOnePicturePerRunAndOneTrace(@TempDir Path dir) throws IOException {
        Path picture = dir.resolve("m.png");
        Path trace = dir.resolve("m.json");
        CliRun r = CliRun.of("simulate", "--timeline", picture.toString(), "--trace", trace.toString());
        assertEquals(0, r.code(), r.err());
        for (String policy : List.of("fail-always", "abort-migration", "queue-and-replay")) {
            assertNotNull(ImageIO.read(dir.resolve("m-" + policy + ".png").toFile()), policy);
        }
        assertFalse(Files.exists(dir.resolve("m-require-p2p.png")), "a blocked run did not migrate");
        JsonObject parsed = JsonParser.parseString(Files.readString(trace)).getAsJsonObject();
        long pids = parsed.getAsJsonArray("traceEvents").asList().stream()
                .map(e -> e.getAsJsonObject().get("pid").getAsLong()).distinct().count();
        assertEquals(6, pids, "two processes per migrated run");
    }

    @Test
    void badFilesAreBadInput(@TempDir Path dir) {
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--timeline", dir.resolve("t.gif").toString()),
                "--timeline " + dir.resolve("t.gif") + ": expected a file name ending with .png or .svg");
        PoliciesCommandTest.assertBadInput(CliRun.of("simulate", "--trace", dir.resolve("no/t.json").toString()),
                "--trace " + dir.resolve("no/t.json") + ": directory " + dir.resolve("no") + " does not exist");
        PoliciesCommandTest.assertBadInput(CliRun.of("migrate", "--listen", "0", "--trace", dir.toString()),
                "--trace " + dir + ": is a directory, expected a file to write");
    }
}
