package dev.mmiomediator.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The options a provider class declares with {@link PolicyOption} and {@link PolicyOptions}, read from its class
 * file without initializing it, and the one check of given options against them, used alike by
 * {@link Policies#create} and by providers through {@link Policies#options}. Stateless; thread-safe.
 */
final class DeclaredOptions {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private DeclaredOptions() {
    }

    /**
     * The options {@code type} declares, in declaration order; empty if it declares none (neither annotation).
     *
     * @throws IllegalArgumentException naming the option if the declaration itself is wrong: a bad or repeated
     *                                  name, a default outside the allowed values
     */
    static Optional<List<PolicyEntry.Option>> of(Class<?> type) {
        PolicyOption[] declared = type.getAnnotationsByType(PolicyOption.class);
        if (declared.length == 0 && !type.isAnnotationPresent(PolicyOptions.class)) {
            return Optional.empty();
        }
        List<PolicyEntry.Option> out = new ArrayList<>(declared.length);
        Set<String> names = new HashSet<>();
        for (PolicyOption o : declared) {
            if (!NAME.matcher(o.name()).matches()) {
                throw new IllegalArgumentException("declares @PolicyOption(name = \"" + o.name() + "\"): expected "
                        + "lower case letters and digits, words separated by '-'");
            }
            if (!names.add(o.name())) {
                throw new IllegalArgumentException("declares @PolicyOption(name = \"" + o.name() + "\") twice, "
                        + "expected each option once");
            }
            List<String> allowed = Arrays.asList(o.allowed());
            if (!o.defaultValue().isEmpty() && !allowed.isEmpty() && !allowed.contains(o.defaultValue())) {
                throw new IllegalArgumentException("declares @PolicyOption(name = \"" + o.name()
                        + "\", defaultValue = \"" + o.defaultValue() + "\"): expected one of its allowed values "
                        + allowed);
            }
            out.add(new PolicyEntry.Option(o.name(), o.description(),
                    o.defaultValue().isEmpty() ? Optional.empty() : Optional.of(o.defaultValue()), allowed));
        }
        return Optional.of(List.copyOf(out));
    }

    /**
     * {@code given} checked against {@code declared}, with the defaults of the options not given added, in
     * declaration order.
     *
     * @throws IllegalArgumentException naming the policy, the option and what was expected, if an option is not
     *                                  declared or its value is not one of the allowed
     */
    static Map<String, String> check(String policy, List<PolicyEntry.Option> declared, Map<String, String> given) {
        Objects.requireNonNull(given, "options of policy " + policy);
        Map<String, PolicyEntry.Option> byName = new LinkedHashMap<>();
        declared.forEach(o -> byName.put(o.name(), o));
        Map<String, String> unknown = new TreeMap<>(given);
        unknown.keySet().removeAll(byName.keySet());
        if (!unknown.isEmpty()) {
            if (byName.isEmpty()) {
                throw new IllegalArgumentException("policy '" + policy + "' takes no options, got " + unknown);
            }
            if (byName.size() == 1) {
                throw new IllegalArgumentException("policy '" + policy + "' takes only option '"
                        + byName.keySet().iterator().next() + "', got " + unknown);
            }
            throw new IllegalArgumentException("policy '" + policy + "': unknown option(s) " + unknown.keySet()
                    + ", expected some of " + new TreeSet<>(byName.keySet()));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (PolicyEntry.Option o : declared) {
            String value = given.get(o.name());
            if (value != null && !o.allowed().isEmpty() && !o.allowed().contains(value)) {
                throw new IllegalArgumentException("policy '" + policy + "': " + o.name() + "=" + value
                        + ", expected " + alternatives(o.allowed()));
            }
            if (value != null) {
                out.put(o.name(), value);
            } else {
                o.defaultValue().ifPresent(d -> out.put(o.name(), d));
            }
        }
        return out;
    }

    /** "a", "a or b", "a, b or c". */
    private static String alternatives(List<String> values) {
        if (values.size() == 1) {
            return values.get(0);
        }
        return String.join(", ", values.subList(0, values.size() - 1)) + " or " + values.get(values.size() - 1);
    }
}
