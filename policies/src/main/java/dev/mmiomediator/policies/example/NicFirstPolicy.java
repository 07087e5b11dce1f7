package dev.mmiomediator.policies.example;

import dev.mmiomediator.dma.Initiator;
import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyOption;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyProvider;
import dev.mmiomediator.policy.Rule;
import dev.mmiomediator.policy.RulePolicy;
import dev.mmiomediator.pci.PciAddress;

import java.util.Map;
import java.util.Objects;

/**
 * {@code example-nic-first}: the example rule class for policy authors. <b>Copy this class</b> to write your own
 * policy: rename it, change {@link #NAME}, and change the rules in {@link #create}.
 *
 * <p>What it decides: a <em>write</em> by one named software device (default {@value #DEFAULT_INITIATOR}) to a
 * range of one BAR of one passthrough device (default BAR {@value #DEFAULT_BAR}, offsets {@code [0x0, 0x1000)}
 * of {@value #DEFAULT_DEVICE}) is {@link Decision#FORWARD forwarded} while the target's state accepts inbound
 * MMIO (RUNNING, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P). Every other access, reads included and in any other
 * state, is {@link Decision#FAIL failed} (master abort: reads all-ones, writes dropped). It never decides
 * {@link Decision#QUEUE}, so nothing is ever held back; it never aborts a migration.
 *
 * <p>How it is built, the three things every policy needs:
 * <ol>
 *   <li><b>Rules</b>: a {@link Rule} is a conjunction of small matchers (initiator, device, BAR, offset range,
 *       direction, target state, migration phase), chained from a static factory. Rules are immutable.</li>
 *   <li><b>A {@link RulePolicy}</b>: rules with decisions, tried first-match in order, plus an {@code otherwise}
 *       decision for the accesses no rule matches (required: the builder refuses to build without it). The
 *       result is immutable and thread-safe, as a {@link P2pPolicy} must be: the engine calls it concurrently
 *       on the accessing threads.</li>
 *   <li><b>A {@link PolicyProvider}</b> ({@link Provider}): a public class with a public no-argument
 *       constructor, listed in {@code META-INF/services/dev.mmiomediator.policy.PolicyProvider} of the jar, that
 *       declares its name and description with {@link PolicyInfo} and each option with {@link PolicyOption}
 *       (compile-time constants). From that
 *       declaration {@link dev.mmiomediator.policy.Policies#find} finds it by {@link #NAME} and
 *       {@code mmio-mediator policies --policy-path DIR} lists it without running any of its code; only when
 *       its policy is the one selected is the class initialized and instantiated. The provider reads its options
 *       (strings) through {@link dev.mmiomediator.policy.Policies#options}, which refuses, naming it, any option
 *       not declared and adds the declared defaults, then turns them into a policy.</li>
 * </ol>
 *
 * <p>Options (all optional): {@code initiator} (a software device's id), {@code device} (a PCI address such as
 * {@code 0000:01:00.0}), {@code bar} (0 to 5), {@code from} and {@code to} (the BAR offset range
 * {@code [from, to)}, decimal or {@code 0x} hex).
 */
public final class NicFirstPolicy {
    /** The name it is selected by. */
    public static final String NAME = "example-nic-first";
    /** Its one-line description. */
    public static final String DESCRIPTION = "example for policy authors: forward one software device's writes to "
            + "one BAR range while the target accepts; fail everything else";
    /** The initiator whose writes are forwarded unless the {@code initiator} option says otherwise. */
    public static final String DEFAULT_INITIATOR = "virtio-net";
    /** The target device unless the {@code device} option says otherwise. */
    public static final String DEFAULT_DEVICE = "0000:01:00.0";
    /** The target BAR unless the {@code bar} option says otherwise. */
    public static final int DEFAULT_BAR = 2;
    /** The start of the offset range unless the {@code from} option says otherwise. */
    public static final long DEFAULT_FROM = 0;
    /** The end (exclusive) of the offset range unless the {@code to} option says otherwise. */
    public static final long DEFAULT_TO = 0x1000;

    private NicFirstPolicy() {
    }

    /**
     * The policy: forward writes by software device {@code initiator} to BAR {@code bar} of {@code device},
     * offsets {@code [from, to)}, while the target accepts; fail the rest.
     *
     * @throws IllegalArgumentException naming the value if the BAR or the offset range is invalid
     */
    public static P2pPolicy create(String initiator, PciAddress device, int bar, long from, long to) {
        Objects.requireNonNull(initiator, "initiator");
        Objects.requireNonNull(device, "device");
        return RulePolicy.builder(NAME)
                .description(DESCRIPTION)
                // Rule 1: the one kind of access this policy lets through. Every condition must hold.
                .when(Rule.initiatorKind(Initiator.Kind.SOFTWARE_DEVICE)
                        .andInitiator(initiator)
                        .andDevice(device)
                        .bar(bar)
                        .offsets(from, to)
                        .writes()
                        .targetAccepts())
                .then(Decision.FORWARD)
                // Everything else: master abort. Never QUEUE, never ABORT_MIGRATION.
                .otherwise(Decision.FAIL)
                .build();
    }

    /** The policy with the defaults. */
    public static P2pPolicy create() {
        return create(DEFAULT_INITIATOR, PciAddress.parse(DEFAULT_DEVICE), DEFAULT_BAR, DEFAULT_FROM, DEFAULT_TO);
    }

    /** Finds {@link NicFirstPolicy} by {@link #NAME}: listed in {@code META-INF/services}. Thread-safe. */
    @PolicyInfo(name = NAME, description = DESCRIPTION)
    @PolicyOption(name = "initiator", description = "the software device whose writes are forwarded",
            defaultValue = DEFAULT_INITIATOR)
    @PolicyOption(name = "device", description = "the target passthrough device's PCI address",
            defaultValue = DEFAULT_DEVICE)
    @PolicyOption(name = "bar", description = "the target BAR, 0 to 5", defaultValue = "" + DEFAULT_BAR)
    @PolicyOption(name = "from", description = "the first BAR offset forwarded, decimal or 0x hex",
            defaultValue = "" + DEFAULT_FROM)
    @PolicyOption(name = "to", description = "the end of the BAR offsets forwarded, exclusive, decimal or 0x hex",
            defaultValue = "0x1000")
    public static final class Provider implements PolicyProvider {
        /** For {@link java.util.ServiceLoader}: a provider needs a public no-argument constructor. */
        public Provider() {
        }

        /**
         * @throws IllegalArgumentException naming the option if one is unknown, or the value if it is invalid
         */
        @Override
        public P2pPolicy create(Map<String, String> options) {
            // checked against the @PolicyOption declarations above, with their defaults added
            Map<String, String> declared = Policies.options(this, options);
            long from = number(declared, "from", DEFAULT_FROM);
            long to = number(declared, "to", DEFAULT_TO);
            if (from < 0 || to <= from) {
                throw new IllegalArgumentException("policy '" + NAME + "': options from=" + from + ", to=" + to
                        + ": expected 0 <= from < to");
            }
            return NicFirstPolicy.create(declared.get("initiator"), device(declared.get("device")),
                    bar(number(declared, "bar", DEFAULT_BAR)), from, to);
        }

        private static PciAddress device(String text) {
            try {
                return PciAddress.parse(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("policy '" + NAME + "': option device: " + e.getMessage(), e);
            }
        }

        private static int bar(long index) {
            if (index < 0 || index > 5) {
                throw new IllegalArgumentException("policy '" + NAME + "': option bar=" + index
                        + ": expected an index from 0 to 5");
            }
            return (int) index;
        }

        private static long number(Map<String, String> options, String option, long otherwise) {
            String v = options.get(option);
            if (v == null) {
                return otherwise;
            }
            try {
                return Long.decode(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("policy '" + NAME + "': option " + option + "='" + v
                        + "': expected a number (decimal or 0x hex)");
            }
        }
    }
}
