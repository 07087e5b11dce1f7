package dev.mmiomediator.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A third-party rule class, {@value #NAME}, compiled in a test into a jar of its own: it fails every access to one
 * device (option {@code blocked-device}), forwards other accesses while their target accepts, and otherwise queues
 * or fails writes (option {@code stopped-writes}) and fails reads. Its counts tell its decisions apart from every
 * built-in's: failed and forwarded writes in one run, and queued ones unless {@code stopped-writes=fail}.
 */
final class LabGuardJar {
    static final String NAME = "lab-guard";
    static final String PROVIDER = "com.example.lab.LabGuard$Provider";
    static final String SOURCE = """
            package com.example.lab;

            import dev.mmiomediator.policy.Decision;
            import dev.mmiomediator.policy.P2pPolicy;
            import dev.mmiomediator.policy.Policies;
            import dev.mmiomediator.policy.PolicyInfo;
            import dev.mmiomediator.policy.PolicyOption;
            import dev.mmiomediator.policy.PolicyProvider;
            import dev.mmiomediator.policy.Rule;
            import dev.mmiomediator.policy.RulePolicy;
            import java.util.Map;

            public final class LabGuard {
                @PolicyInfo(name = "lab-guard", description = "fail one device, forward the rest while it accepts")
                @PolicyOption(name = "blocked-device", description = "the device every access to fails",
                        defaultValue = "0000:03:00.0")
                @PolicyOption(name = "stopped-writes", description = "what a write to a stopped device gets",
                        defaultValue = "queue", allowed = {"queue", "fail"})
                public static final class Provider implements PolicyProvider {
                    public Provider() {
                    }

                    @Override
                    public P2pPolicy create(Map<String, String> options) {
                        Map<String, String> o = Policies.options(this, options);
                        return RulePolicy.builder("lab-guard")
                                .when(Rule.device(o.get("blocked-device"))).then(Decision.FAIL)
                                .when(Rule.any().targetAccepts()).then(Decision.FORWARD)
                                .when(Rule.any().writes()).then(o.get("stopped-writes").equals("queue")
                                        ? Decision.QUEUE : Decision.FAIL)
                                .otherwise(Decision.FAIL)
                                .build();
                    }
                }
            }
            """;

    private LabGuardJar() {
    }

    /** {@code work/policies/lab-guard.jar}, built in {@code work/build}; returns its directory. */
    static Path policyDir(Path work) throws IOException {
        Path dir = Files.createDirectories(work.resolve("policies"));
        PolicyJar.build(work.resolve("build"), dir.resolve("lab-guard.jar"), Map.of("com.example.lab.LabGuard",
                SOURCE), List.of(PROVIDER));
        return dir;
    }
}
