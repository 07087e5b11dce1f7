package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.mmiomediator.policies.RequireP2pPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmio-mediator plan}: text and JSON on the default VM, a file with a policy line, and bad input. */
class PlanCommandTest {
    @TempDir
    Path dir;

    /** The output with every run of blanks and line breaks made one space, so wrapping does not matter. */
    static String flat(String s) {
        return s.replaceAll("\\s+", " ");
    }

    static void assertBadInput(CliRun r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals("mmio-mediator: " + message + System.lineSeparator(), r.err());
    }

    @Test
    void onTheDefaultVmItNamesThePoliciesThatAllowItAndQuotesQemusBlocker() {
        CliRun r = CliRun.of("plan");
        assertEquals(0, r.code(), r.err());
        String out = flat(r.out());
        assertTrue(out.contains("Summary: allowed by abort-migration, example-nic-first, fail-always, "
                + "queue-and-replay; blocked by require-p2p. QEMU 8.2 would block it: \""
                + RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE + "\"."), out);
        assertTrue(out.contains("QEMU 8.2: blocked: \"" + RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE + "\""), out);
        assertTrue(out.contains("== Policy queue-and-replay: ALLOWED - 0000:03:00.0 (fpga) lacks P2P: DMA from "
                + "virtio-net or nvme into its BARs while it is stopped (or resuming on the destination): write -> "
                + "queued and replayed exactly once"), out);
        assertTrue(out.contains("== Policy require-p2p: BLOCKED"), out);
        assertTrue(out.contains("0000:03:00.0 fpga STOP_COPY no 0: 64 KiB, 2: 2 MiB"), out);
        assertTrue(out.contains("1. SOURCE_PRE_COPY 0000:01:00.0 nic RUNNING -> PRE_COPY"), out);
        assertTrue(out.contains("2. SOURCE_STOPPING 0000:01:00.0 nic PRE_COPY -> PRE_COPY_P2P"), out);
        assertTrue(out.contains("4. SOURCE_STOP_COPY 0000:01:00.0 nic PRE_COPY_P2P -> STOP_COPY"), out);
        assertTrue(out.contains("6. SOURCE_STOP_COPY 0000:03:00.0 fpga RUNNING -> STOP -> STOP_COPY"), out);
        assertTrue(out.contains("8. DESTINATION_STARTING 0000:03:00.0 fpga RESUMING -> STOP -> RUNNING"), out);
    }

    /** Per side and device, {@code side device: path} as plan's JSON steps add up to. */
    static List<String> plannedPaths(String planJson) {
        JsonObject plan = JsonReport.of(planJson).getAsJsonArray("plans").get(0).getAsJsonObject();
        List<String> lines = new ArrayList<>();
        for (String side : List.of("source", "destination")) {
            Map<String, List<String>> paths = new LinkedHashMap<>();
            for (JsonElement e : plan.getAsJsonArray(side)) {
                JsonObject step = e.getAsJsonObject();
                List<String> path = new ArrayList<>();
                step.getAsJsonArray("path").forEach(state -> path.add(state.getAsString()));
                List<String> walked = paths.computeIfAbsent(JsonReport.field(step, "device"),
                        k -> new ArrayList<>(path.subList(0, 1)));
                walked.addAll(path.subList(1, path.size()));
            }
            paths.forEach((device, path) -> lines.add(side + " " + device + ": " + String.join(" -> ", path)));
        }
        return lines;
    }

    /** Per side and device, {@code side device: path} as simulate's report prints them. */
    static List<String> walkedPaths(String simulateText) {
        List<String> lines = new ArrayList<>();
        String side = null;
        for (String line : simulateText.split("\\R")) {
            if (line.equals("  source:") || line.equals("  destination:")) {
                side = line.strip().replace(":", "");
            } else if (side != null && line.startsWith("    ")) {
                String[] parts = line.strip().split("\\s+", 2);
                lines.add(side + " " + parts[0] + ": " + parts[1]);
            }
        }
        return lines;
    }

    @Test
    void thePathsPlanPrintsAreThePathsSimulateWalks() throws IOException {
        Path mixed = Files.writeString(dir.resolve("mixed.topology"), """
                vm mixed
                passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:16K,2:4K
                passthrough dsp  0000:02:00.0 flags=STOP_COPY,PRE_COPY bars=0:64K
                passthrough fpga 0000:03:00.0 flags=STOP_COPY bars=0:64K
                software virtio-net
                """);
        for (List<String> topology : List.of(List.<String>of(), List.of(mixed.toString()))) {
            List<String> plan = new ArrayList<>(List.of("plan", "--policy", "queue-and-replay", "--json"));
            plan.addAll(topology);
            List<String> simulate = new ArrayList<>(List.of("simulate", "--policy", "queue-and-replay"));
            simulate.addAll(topology);
            CliRun planned = CliRun.of(plan.toArray(String[]::new));
            CliRun walked = CliRun.of(simulate.toArray(String[]::new));
            assertEquals(0, planned.code(), planned.err());
            assertEquals(0, walked.code(), walked.err());
            assertTrue(walked.out().contains("queue-and-replay: completed"), walked.out());
            List<String> paths = plannedPaths(planned.out());
            assertTrue(paths.stream().anyMatch(p -> p.contains("RUNNING -> PRE_COPY -> PRE_COPY_P2P")),
                    paths::toString);
            assertEquals(paths, walkedPaths(walked.out()), topology.toString());
        }
    }

    @Test
    void jsonIsOneObjectWithQemusVerdictOnceAndOnePlanPerPolicy() {
        CliRun r = CliRun.of("plan", "--json");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        JsonObject json = JsonReport.of(out);
        assertEquals(List.of("topology", "qemu", "plans"), new ArrayList<>(json.keySet()), out);
        JsonObject topology = json.getAsJsonObject("topology");
        assertEquals("demo-q35", JsonReport.field(topology, "vm"));
        // compared as printed, so that field order and integer indexes are part of the specification
        assertEquals("{\"name\":\"nic\",\"address\":\"0000:01:00.0\",\"flags\":[\"STOP_COPY\",\"P2P\",\"PRE_COPY\"],"
                + "\"migratable\":true,\"p2p\":true,\"bars\":[{\"index\":0,\"size\":\"0x4000\"},{\"index\":2,"
                + "\"size\":\"0x1000\"}]}", topology.getAsJsonArray("passthrough").get(0).toString());
        JsonObject qemu = json.getAsJsonObject("qemu");
        assertEquals(new JsonPrimitive(false), qemu.get("allowed"), out);
        assertEquals(RequireP2pPolicy.MULTIPLE_DEVICES_MESSAGE, JsonReport.field(qemu, "message"));
        Map<String, JsonObject> plans = new LinkedHashMap<>();
        json.getAsJsonArray("plans").forEach(p -> plans.put(JsonReport.field(p.getAsJsonObject(), "policy"),
                p.getAsJsonObject()));
        JsonObject queueAndReplay = plans.get("queue-and-replay");
        assertEquals("{}", queueAndReplay.get("options").toString());
        assertEquals("allowed", JsonReport.field(queueAndReplay, "verdict"));
        assertTrue(queueAndReplay.get("reasons").isJsonArray(), out);
        assertEquals("{}", plans.get("require-p2p").get("options").toString());
        assertEquals("blocked", JsonReport.field(plans.get("require-p2p"), "verdict"));
        assertTrue(queueAndReplay.getAsJsonArray("source").contains(JsonParser.parseString("{\"phase\":"
                + "\"SOURCE_STOP_COPY\",\"device\":\"0000:03:00.0\",\"target\":\"STOP_COPY\","
                + "\"path\":[\"RUNNING\",\"STOP\",\"STOP_COPY\"]}")), out);
        JsonObject fpga = StreamSupport.stream(queueAndReplay.getAsJsonArray("handling").spliterator(), false)
                .map(JsonElement::getAsJsonObject)
                .filter(h -> JsonReport.field(h, "device").equals("0000:03:00.0")).findFirst().orElseThrow();
        assertEquals("{\"write\":\"QUEUE\",\"read\":\"ABORT_MIGRATION\"}", fpga.get("whileStopped").toString());
        assertTrue(out.endsWith("]}" + "\n"), out);
        assertEquals(1, out.split("\n").length);
    }

    @Test
    void aPolicyLineInTheFileMakesOnePlanAndTheCommandLineOverridesIt() throws IOException {
        Path f = Files.writeString(dir.resolve("two.topology"), """
                vm two
                passthrough a 0000:01:00.0 flags=STOP_COPY,P2P bars=0:4K
                passthrough b 0000:02:00.0 flags=STOP_COPY bars=0:4K
                software virtio-net
                policy queue-and-replay read-fallback=fail
                """);
        String out = flat(CliRun.of("plan", f.toString()).out());
        assertTrue(out.contains("== Policy queue-and-replay (read-fallback=fail): ALLOWED"), out);
        assertTrue(out.contains("read -> lost: writes dropped, reads all-ones (master abort)"), out);
        assertTrue(!out.contains("Summary:"), out);
        out = flat(CliRun.of("plan", f.toString(), "--policy", "require-p2p").out());
        assertTrue(out.contains("== Policy require-p2p: BLOCKED"), out);
        out = flat(CliRun.of("plan", f.toString(), "--option", "read-fallback=abort", "--pre-copy").out());
        assertTrue(out.contains("== Policy queue-and-replay (read-fallback=abort): ALLOWED"), out);
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws IOException {
        assertBadInput(CliRun.of("plan", dir.resolve("nope.topology").toString()),
                dir.resolve("nope.topology") + ": no such file");
        Path bad = Files.writeString(dir.resolve("bad.topology"), "vm x\npassthrough a 0000:01:00.0 flags=P3P bars=0:4K\n");
        assertBadInput(CliRun.of("plan", bad.toString()), bad + ":2: unknown flag 'P3P' in flags=P3P, expected a "
                + "comma-separated list of STOP_COPY, P2P, PRE_COPY (or none)");
        CliRun unknown = CliRun.of("plan", "--policy", "no-such-policy");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("mmio-mediator: unknown policy 'no-such-policy': expected one of "),
                unknown.err());
        assertBadInput(CliRun.of("plan", "--option", "read-fallback=fail"),
                "--option {read-fallback=fail} needs --policy NAME (or a 'policy' line in the topology)");
        assertBadInput(CliRun.of("plan", "--policy", "queue-and-replay", "--option", "read-fallback=maybe"),
                "policy 'queue-and-replay': read-fallback=maybe, expected abort or fail");
    }

    @Test
    void helpSaysTheDefaultIsTheEmbeddedDefaultVm() {
        CliRun r = CliRun.of("plan", "--help");
        assertEquals(0, r.code());
        assertTrue(flat(r.out()).contains("Default: the embedded default VM (default-vm.topology"), r.out());
    }
}
