package dev.mmiomediator.cli;

import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEntry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mmio-mediator policies}: lists the P2P policies found through {@link java.util.ServiceLoader}, the
 * built-ins on the tool's class path plus those in the jars of each {@code --policy-path} directory. Lists from
 * each provider's {@link dev.mmiomediator.policy.PolicyInfo} where it has one, without initializing the class.
 */
@Command(name = "policies",
        mixinStandardHelpOptions = true,
        description = {"List the P2P access policies found, one per line: the name (what a policy is selected by) "
                + "and a one-line description, sorted by name.",
                "Policies come from the tool's own class path and from every *.jar in each --policy-path directory; "
                        + "a jar names its providers in the service file",
                "  META-INF/services/dev.mmiomediator.policy.PolicyProvider",
                "A provider that declares @PolicyInfo(name, description) on its class is listed from that "
                        + "declaration without running any of its code. A provider without it is instantiated to "
                        + "ask its name and description: listing runs its static initializer and constructor with "
                        + "your rights. A policy path is a plugin directory: use only one you trust.",
                "A directory that does not exist or holds no jar, a jar that cannot be read, a provider that cannot "
                        + "be loaded, or two policies with one name exit with code 2 and say which."})
final class PoliciesCommand implements Callable<Integer> {
    @Option(names = "--policy-path", paramLabel = "DIR", description = PolicyPath.OPTION_DESCRIPTION)
    List<Path> policyPaths = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<PolicyEntry> rows = PolicyPath.withLoader(policyPaths, PoliciesCommand.class.getClassLoader(),
                Policies::describe);
        int width = rows.stream().mapToInt(r -> r.name().length()).max().orElse(0);
        PrintWriter out = spec.commandLine().getOut();
        for (PolicyEntry r : rows) {
            out.println(String.format("%-" + width + "s  %s", r.name(), r.description()).stripTrailing());
        }
        return 0;
    }
}
