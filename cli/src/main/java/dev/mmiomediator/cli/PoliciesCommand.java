package dev.mmiomediator.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEntry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mmio-mediator policies}: lists the P2P policies found, the built-ins on the tool's class path plus those
 * in each {@code --policy-path} directory, with the options each declares. Lists from each provider's
 * {@link dev.mmiomediator.policy.PolicyInfo} and {@link dev.mmiomediator.policy.PolicyOption}s where it has them,
 * without initializing the class.
 */
@Command(name = "policies",
        mixinStandardHelpOptions = true,
        description = {"List the P2P access policies found, sorted by name: the name (what a policy is selected by) "
                + "and a one-line description, then one line per option it takes: its name, what it means, its "
                + "default and the values allowed. With --json, one JSON object instead.",
                "Policies come from the tool's own class path and from each --policy-path directory (its *.jar "
                        + "files, or the directory itself if it is a class directory); a jar names its providers in "
                        + "the service file",
                "  META-INF/services/dev.mmiomediator.policy.PolicyProvider",
                "A provider that declares @PolicyInfo(name, description) on its class is listed from that "
                        + "declaration without running any of its code. Its options are listed from its @PolicyOption "
                        + "declarations (@PolicyOptions({}) declares none), also without running it; a provider that "
                        + "declares neither has options only its code knows (in --json, \"options\":null). A "
                        + "provider without @PolicyInfo is instantiated to ask its name "
                        + "and description: listing runs its static initializer and constructor with your rights. A "
                        + "policy path is a plugin directory: use only one you trust.",
                "--policy NAME lists that policy only; with --option KEY=VALUE it also creates the policy with "
                        + "those options, as the other commands would (running its provider), to check them.",
                "A directory that does not exist or holds nothing to load, a jar that cannot be read, a provider "
                        + "that cannot be loaded, a provider class listed by two jars, two policies with one name, an "
                        + "unknown policy or a refused option exit with code 2 and say which."})
final class PoliciesCommand implements Callable<Integer> {
    @CommandLine.Mixin
    PolicySelection policies = new PolicySelection();

    @Option(names = "--json", description = "Print one JSON object: {\"policies\":[{\"name\":...,\"description\":"
            + "...,\"providerClass\":...,\"location\":...,\"declared\":true,\"options\":[{\"name\":...,"
            + "\"description\":...,\"default\":...,\"allowed\":[...]}]}]}; \"options\" is null for a provider that "
            + "does not declare its options, \"default\" null for an option without one.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<PolicyEntry> rows = policies.withLoader(this::rows);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(rows) : text(rows));
        out.flush();
        return 0;
    }

    /** Every policy found, or the one --policy names (checked with its --option, if any). */
    private List<PolicyEntry> rows(ClassLoader loader) {
        List<PolicyEntry> all = Policies.describe(loader);
        var choice = policies.choice(null);
        if (choice.isEmpty()) {
            return all;
        }
        String name = choice.get().name();
        List<PolicyEntry> named = all.stream().filter(e -> e.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new BadInputException("unknown policy '" + name + "': " + (all.isEmpty() ? "no policies found"
                    : "expected one of " + String.join(", ", all.stream().map(PolicyEntry::name).toList())));
        }
        if (!choice.get().options().isEmpty()) {
            choice.get().create(loader);
        }
        return named;
    }

    static String text(List<PolicyEntry> rows) {
        int width = rows.stream().mapToInt(r -> r.name().length()).max().orElse(0);
        String indent = " ".repeat(width + 2);
        StringBuilder sb = new StringBuilder();
        for (PolicyEntry r : rows) {
            sb.append(String.format("%-" + width + "s  %s", r.name(), r.description()).stripTrailing())
                    .append(System.lineSeparator());
            for (PolicyEntry.Option o : r.options().orElse(List.of())) {
                sb.append(indent).append("option ").append(o.name()).append(": ").append(o.description());
                List<String> facts = new ArrayList<>();
                o.defaultValue().ifPresent(d -> facts.add("default " + d));
                if (!o.allowed().isEmpty()) {
                    facts.add("one of " + String.join(", ", o.allowed()));
                }
                if (!facts.isEmpty()) {
                    sb.append(" (").append(String.join("; ", facts)).append(')');
                }
                sb.append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    static String json(List<PolicyEntry> rows) {
        JsonArray list = new JsonArray();
        for (PolicyEntry r : rows) {
            JsonObject entry = new JsonObject();
            entry.addProperty("name", r.name());
            entry.addProperty("description", r.description());
            entry.addProperty("providerClass", r.providerClass());
            entry.addProperty("location", r.location());
            entry.addProperty("declared", r.declared());
            if (r.options().isEmpty()) {
                entry.add("options", JsonNull.INSTANCE);
            } else {
                JsonArray options = new JsonArray();
                for (PolicyEntry.Option o : r.options().get()) {
                    JsonObject option = new JsonObject();
                    option.addProperty("name", o.name());
                    option.addProperty("description", o.description());
                    option.addProperty("default", o.defaultValue().orElse(null));
                    option.add("allowed", JsonReports.strings(o.allowed()));
                    options.add(option);
                }
                entry.add("options", options);
            }
            list.add(entry);
        }
        JsonObject report = new JsonObject();
        report.add("policies", list);
        return JsonReports.line(report);
    }
}
