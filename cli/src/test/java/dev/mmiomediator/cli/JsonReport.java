package dev.mmiomediator.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the tool's {@code --json} reports with Gson, strictly (RFC 8259), for assertions. */
final class JsonReport {
    private JsonReport() {
    }

    /**
     * The report on the first line of {@code output} (a report is one line; a test may append the process's standard
     * error after it): one JSON object with nothing after it.
     */
    static JsonObject of(String output) {
        int eol = output.indexOf('\n');
        String line = eol < 0 ? output : output.substring(0, eol);
        try {
            JsonReader reader = new JsonReader(new StringReader(line));
            reader.setStrictness(Strictness.STRICT);
            JsonElement report = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new AssertionError("text after the JSON report: '" + line + "'");
            }
            if (!report.isJsonObject()) {
                throw new AssertionError("expected a JSON object, got '" + line + "'");
            }
            return report.getAsJsonObject();
        } catch (RuntimeException | IOException e) {
            throw new AssertionError("not a JSON report (" + e.getMessage() + "): '" + line + "'", e);
        }
    }

    /** The top-level member {@code name} of {@code report}, which must be there. */
    static JsonElement member(JsonObject report, String name) {
        JsonElement value = report.get(name);
        if (value == null) {
            throw new AssertionError("no '" + name + "' in " + report);
        }
        return value;
    }

    /**
     * A top-level string, number or boolean of the report on the first line of {@code output}, as it is printed
     * (strings without their quotes).
     */
    static String field(String output, String name) {
        return field(of(output), name);
    }

    /** A string, number or boolean member of {@code report}, as it is printed (strings without their quotes). */
    static String field(JsonObject report, String name) {
        JsonElement value = member(report, name);
        if (!value.isJsonPrimitive()) {
            throw new AssertionError("'" + name + "' is " + value + ", expected a string, number or boolean");
        }
        return value.getAsString();
    }

    /** An integer member of {@code report}: printed as digits, never as a fraction or exponent. */
    static long integer(JsonObject report, String name) {
        return integer(member(report, name), "'" + name + "'");
    }

    private static long integer(JsonElement value, String what) {
        if (!(value instanceof JsonPrimitive p && p.isNumber() && p.getAsString().matches("-?[0-9]+"))) {
            throw new AssertionError(what + " is " + value + ", expected an integer");
        }
        return value.getAsLong();
    }

    /** An integer member of the report on the first line of {@code output}. */
    static long integer(String output, String name) {
        return integer(of(output), name);
    }

    /** A {@code "name":{"key":[n, ...], ...}} member: per key, its integers in order. */
    static Map<String, List<Long>> integerLists(JsonObject report, String name) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        member(report, name).getAsJsonObject().entrySet().forEach(e -> {
            List<Long> values = new ArrayList<>();
            for (JsonElement v : e.getValue().getAsJsonArray()) {
                values.add(integer(v, "'" + name + "' of " + e.getKey()));
            }
            out.put(e.getKey(), values);
        });
        return out;
    }

    /** A {@code "name":{"key":["word", ...], ...}} member: per key, its strings in order. */
    static Map<String, List<String>> stringLists(JsonObject report, String name) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        member(report, name).getAsJsonObject().entrySet().forEach(e -> {
            List<String> values = new ArrayList<>();
            e.getValue().getAsJsonArray().forEach(v -> values.add(v.getAsString()));
            out.put(e.getKey(), values);
        });
        return out;
    }
}
