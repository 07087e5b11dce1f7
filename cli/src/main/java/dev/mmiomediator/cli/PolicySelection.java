package dev.mmiomediator.cli;

import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.Policies;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy options every command that uses policies shares ({@code simulate}, {@code plan}, {@code migrate},
 * {@code policies}), as one picocli mixin, and the one rule they all follow to choose the policy: {@code --policy}
 * if given, else the topology's {@code policy} line; the topology's options apply when it names that same policy,
 * and each {@code --option} goes over them. An unknown name is bad input listing the names found, whichever of the
 * two named it. Policies come from the tool's class path and the {@code --policy-path} directories.
 */
final class PolicySelection {
    @Option(names = "--policy", paramLabel = "NAME", description = "The policy to use, over the topology's "
            + "'policy' line. An unknown name exits with 2 and lists the names found.")
    String policy;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "An option of the policy, over the "
            + "topology's; repeatable. Needs --policy or a 'policy' line. 'mmio-mediator policies' lists each "
            + "policy's options.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--policy-path", paramLabel = "DIR", description = PolicyPath.OPTION_DESCRIPTION)
    List<Path> policyPaths = new ArrayList<>();

    /** A policy's name and the options to create it with. */
    record Choice(String name, Map<String, String> options) {
        Choice {
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }

        /** The policy, created from the providers {@code loader} sees; unknown names and options are bad input. */
        P2pPolicy create(ClassLoader loader) {
            return Policies.create(name, options, loader);
        }
    }

    /**
     * The policy {@code --policy} or, without it, {@code topology}'s {@code policy} line chooses, with its options;
     * empty if neither names one.
     *
     * @throws BadInputException if {@code --option} is given without a policy named
     */
    Optional<Choice> choice(Topology topology) {
        Optional<String> own = topology == null ? Optional.empty() : topology.policy();
        if (policy == null && own.isEmpty()) {
            if (!options.isEmpty()) {
                throw new BadInputException("--option " + options + " needs --policy NAME (or a 'policy' line in "
                        + "the topology)");
            }
            return Optional.empty();
        }
        String name = policy != null ? policy : own.get();
        Map<String, String> opts = new LinkedHashMap<>(own.equals(Optional.of(name))
                ? topology.policyOptions() : Map.of());
        opts.putAll(options);
        return Optional.of(new Choice(name, opts));
    }

    /** {@code body} with a class loader over the tool's class path and the {@code --policy-path} directories. */
    <T> T withLoader(PolicyPath.Body<T> body) throws IOException, InterruptedException {
        return PolicyPath.withLoader(policyPaths, PolicySelection.class.getClassLoader(), body);
    }
}
