package dev.mmiomediator.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A policy made of {@link Rule}s, each with a {@link Decision}, tried in order: the first rule that matches
 * decides; if none does, the {@code otherwise} decision applies. Immutable and thread-safe.
 *
 * <pre>{@code
 * RulePolicy.builder("my-policy")
 *         .description("forward writes to the NIC while it accepts, fail the rest")
 *         .when(Rule.device("0000:01:00.0").writes().targetAccepts()).then(Decision.FORWARD)
 *         .otherwise(Decision.FAIL)
 *         .build();
 * }</pre>
 */
public final class RulePolicy implements P2pPolicy {
    /** One rule and its decision. */
    public record Entry(Rule rule, Decision decision) {
        /** Checks that nothing is null. */
        public Entry {
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(decision, "decision");
        }
    }

    private final String name;
    private final String description;
    private final Entry[] entries;
    private final Decision otherwise;

    private RulePolicy(Builder b) {
        this.name = b.name;
        this.description = b.description != null ? b.description : "rules: " + describe(b.entries, b.otherwise);
        this.entries = b.entries.toArray(new Entry[0]);
        this.otherwise = b.otherwise;
    }

    /**
     * A builder for a policy named {@code name}.
     *
     * @throws IllegalArgumentException if the name is empty
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Decision decide(P2pRequest request) {
        for (Entry e : entries) {
            if (e.rule().matches(request)) {
                return e.decision();
            }
        }
        return otherwise;
    }

    /** The rules, in the order they are tried. */
    public List<Entry> entries() {
        return List.of(entries);
    }

    /** The decision when no rule matches. */
    public Decision otherwise() {
        return otherwise;
    }

    private static String describe(List<Entry> entries, Decision otherwise) {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append("when ").append(e.rule()).append(" then ").append(e.decision()).append("; ");
        }
        return sb.append("otherwise ").append(otherwise).toString();
    }

    @Override
    public String toString() {
        return name + " (" + describe(List.of(entries), otherwise) + ")";
    }

    /** Collects rules in order. Not thread-safe; the policy it builds is. */
    public static final class Builder {
        private final String name;
        private final List<Entry> entries = new ArrayList<>();
        private String description;
        private Decision otherwise;

        private Builder(String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("policy name '" + (name == null ? "null" : "")
                        + "': expected a non-empty name");
            }
            this.name = name;
        }

        /** The one-line description (default: the rules spelled out). */
        public Builder description(String text) {
            this.description = Objects.requireNonNull(text, "description");
            return this;
        }

        /** Starts a rule; finish it with {@link When#then}. */
        public When when(Rule rule) {
            return new When(this, Objects.requireNonNull(rule, "rule"));
        }

        /** The decision when no rule matches; required. */
        public Builder otherwise(Decision decision) {
            this.otherwise = Objects.requireNonNull(decision, "decision");
            return this;
        }

        /**
         * The policy.
         *
         * @throws IllegalStateException naming the policy if {@link #otherwise} was not given
         */
        public RulePolicy build() {
            if (otherwise == null) {
                throw new IllegalStateException("policy '" + name + "': no otherwise(...) decision: say what "
                        + "happens to an access no rule matches");
            }
            return new RulePolicy(this);
        }
    }

    /** A rule waiting for its decision. */
    public static final class When {
        private final Builder builder;
        private final Rule rule;

        private When(Builder builder, Rule rule) {
            this.builder = builder;
            this.rule = rule;
        }

        /** The decision when the rule matches (and no earlier rule did). */
        public Builder then(Decision decision) {
            builder.entries.add(new Entry(rule, decision));
            return builder;
        }
    }
}
