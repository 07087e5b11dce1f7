package dev.mmiomediator.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;

import java.util.Collection;
import java.util.Map;

/** How every {@code --json} report is printed: by Gson, as one object on one line ending with a newline. */
final class JsonReports {
    /**
     * Nulls are kept because the audit reports a BAR that renders nowhere with {@code "addressSpace":null}; HTML
     * escaping is off because the reports are read by programs, not embedded in pages, so that {@code <}, {@code >},
     * {@code &}, {@code =} and {@code '} in names print as themselves.
     */
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private JsonReports() {
    }

    /** {@code report} as one line of JSON, ending with a newline. */
    static String line(JsonElement report) {
        return GSON.toJson(report) + "\n";
    }

    /** {@code report}, a map of strings, numbers, booleans, lists and maps, as one line of JSON. */
    static String line(Map<String, ?> report) {
        return line(GSON.toJsonTree(report));
    }

    /** A JSON array of {@code values}, in their order. */
    static JsonArray strings(Collection<String> values) {
        JsonArray array = new JsonArray(values.size());
        values.forEach(array::add);
        return array;
    }
}
