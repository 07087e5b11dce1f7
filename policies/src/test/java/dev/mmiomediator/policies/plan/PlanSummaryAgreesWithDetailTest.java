package dev.mmiomediator.policies.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.migration.plan.DeviceHandling;
import dev.mmiomediator.migration.plan.HandlingCase;
import dev.mmiomediator.migration.plan.MigrationPlan;
import dev.mmiomediator.migration.plan.MigrationPlanner;
import dev.mmiomediator.migration.plan.PassthroughSpec;
import dev.mmiomediator.migration.plan.Topology;
import dev.mmiomediator.migration.plan.TopologyParser;
import dev.mmiomediator.policies.example.NicFirstPolicy;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.P2pRequest;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A plan's reason line for a device without P2P (the summary) and the device's handling text (the detail) say the
 * same, and say exactly the decisions of the device's decision table, for every policy found (the built-ins and
 * example-nic-first), with and without options, and for a policy whose decision differs by BAR.
 */
class PlanSummaryAgreesWithDetailTest {
    static final ClassLoader LOADER = PlanSummaryAgreesWithDetailTest.class.getClassLoader();
    static final String ON_SOURCE = "While it is stopped on the source (";
    static final String ON_DESTINATION = ". While it resumes on the destination (";
    static final List<Topology> TOPOLOGIES = List.of(TopologyParser.defaultVm(), TopologyParser.parse("""
            passthrough nic  0000:01:00.0 flags=STOP_COPY,P2P,PRE_COPY bars=0:16K,2:4K
            passthrough dsp  0000:02:00.0 flags=STOP_COPY,PRE_COPY bars=0:64K,2:4K
            passthrough fpga 0000:03:00.0 flags=STOP_COPY bars=0:64K,2:2M
            software virtio-net
            software nvme
            """, "pre-copy-and-p2p-less"));

    /** Queues writes to BAR 0, fails writes to any other BAR, cancels on reads, while the target does not accept. */
    static final class PerBar implements P2pPolicy {
        @Override
        public String name() {
            return "per-bar";
        }

        @Override
        public String description() {
            return "test";
        }

        @Override
        public Decision decide(P2pRequest r) {
            if (r.targetAccepts()) {
                return Decision.FORWARD;
            }
            return !r.write() ? Decision.ABORT_MIGRATION : r.access().bar().bar() == 0 ? Decision.QUEUE : Decision.FAIL;
        }
    }

    static List<MigrationPlan> plans() {
        List<MigrationPlan> plans = new ArrayList<>();
        List<String> names = Policies.available(LOADER).stream().map(PolicyProvider::name).toList();
        assertTrue(names.contains(NicFirstPolicy.NAME), names.toString());
        for (Topology t : TOPOLOGIES) {
            for (String name : names) {
                plans.add(MigrationPlanner.plan(t, name, Policies.create(name, Map.of(), LOADER)));
            }
            plans.add(MigrationPlanner.plan(t, "queue-and-replay", Policies.create("queue-and-replay",
                    Map.of("read-fallback", "fail"), LOADER)));
            plans.add(MigrationPlanner.plan(t, NicFirstPolicy.NAME, Policies.create(NicFirstPolicy.NAME,
                    Map.of("device", "0000:03:00.0", "bar", "0"), LOADER)));
            plans.add(MigrationPlanner.plan(t, "per-bar", new PerBar()));
        }
        return plans;
    }

    @Test
    void everyDevicesReasonLineSaysWhatItsDetailSays() {
        int checked = 0;
        for (MigrationPlan plan : plans()) {
            if (!plan.allowed()) {
                continue; // a blocked plan's reasons are its blockers
            }
            for (DeviceHandling h : plan.handling()) {
                String what = plan.topology().vm() + " " + plan.policy() + " " + h.device();
                String[] detail = detail(h.summary(), what);
                String[] summary = summary(reason(plan, h), what);
                assertEquals(detail[0], summary[0], what + " on the source");
                assertEquals(detail[1], summary[1], what + " on the destination");
                checked++;
            }
        }
        assertTrue(checked >= 10, checked + " devices checked");
    }

    @Test
    void theWordsAreExactlyTheDecisionTablesDecisions() {
        for (MigrationPlan plan : plans()) {
            for (DeviceHandling h : plan.handling()) {
                String what = plan.topology().vm() + " " + plan.policy() + " " + h.device();
                String[] detail = detail(h.summary(), what);
                said(h.cases(), c -> !c.phase().isDestination(), detail[0], what + " on the source");
                said(h.cases(), c -> c.phase().isDestination(), detail[1], what + " on the destination");
            }
        }
    }

    @Test
    void aPolicyThatQueuesOneBarAndFailsAnotherIsSaidToDoBothInTheSummary() {
        MigrationPlan plan = MigrationPlanner.plan(TopologyParser.defaultVm(), "per-bar", new PerBar());
        String reason = reason(plan, plan.handling().get(0));
        assertTrue(reason.contains(MigrationPlanner.words(Decision.QUEUE, true)), reason);
        assertTrue(reason.contains(MigrationPlanner.words(Decision.FAIL, true)), reason);
    }

    /** The one decision said per kind of access in {@code text} equals the table's, for both kinds. */
    static void said(List<HandlingCase> cases, Predicate<HandlingCase> side, String text, String what) {
        int bar = text.indexOf(" | read -> ");
        assertTrue(text.startsWith("write -> ") && bar > 0, what + ": " + text);
        for (boolean write : new boolean[] {true, false}) {
            String part = write ? text.substring(0, bar) : text.substring(bar);
            Set<Decision> table = EnumSet.noneOf(Decision.class);
            cases.stream().filter(side).filter(c -> c.write() == write).forEach(c -> table.add(c.decision()));
            Set<Decision> words = EnumSet.noneOf(Decision.class);
            for (Decision d : Decision.values()) {
                if (part.contains(MigrationPlanner.words(d, write))) {
                    words.add(d);
                }
            }
            assertEquals(table, words, what + (write ? " writes: " : " reads: ") + part);
        }
    }

    /** The source and destination parts of a device's handling text. */
    static String[] detail(String summary, String what) {
        int source = summary.indexOf(ON_SOURCE);
        int destination = summary.indexOf(ON_DESTINATION);
        assertTrue(source > 0 && destination > source && summary.endsWith("."), what + ": " + summary);
        return new String[] {afterStates(summary.substring(source + ON_SOURCE.length(), destination)),
                afterStates(summary.substring(destination + ON_DESTINATION.length(), summary.length() - 1))};
    }

    private static String afterStates(String s) {
        return s.substring(s.indexOf("): ") + 3);
    }

    /** The source and destination parts of a device's reason line (one part for both when they agree). */
    static String[] summary(String reason, String what) {
        String both = "(or resuming on the destination): ";
        int i = reason.indexOf(both);
        if (i >= 0) {
            String s = reason.substring(i + both.length());
            return new String[] {s, s};
        }
        String source = "on the source: ";
        String destination = "; while it resumes on the destination: ";
        int s = reason.indexOf(source);
        int d = reason.indexOf(destination);
        assertTrue(s > 0 && d > s, what + ": " + reason);
        return new String[] {reason.substring(s + source.length(), d), reason.substring(d + destination.length())};
    }

    static String reason(MigrationPlan plan, DeviceHandling h) {
        String label = plan.topology().device(h.device()).map(PassthroughSpec::label).orElseThrow();
        return plan.reasons().stream().filter(r -> r.startsWith(label + " lacks P2P: DMA from")).findFirst()
                .orElseThrow(() -> new AssertionError(plan.policy() + ": no reason line for " + label + " in "
                        + plan.reasons()));
    }
}
