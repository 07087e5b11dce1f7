package dev.mmiomediator.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One policy as a listing shows it, from {@link Policies#describe}.
 *
 * @param name          the name it is selected by
 * @param description   one line saying what it does
 * @param providerClass the binary name of its provider class
 * @param location      the jar or class directory the provider comes from (a file path, or a URL)
 * @param declared      true if name and description were read from the class's {@link PolicyInfo} without
 *                      running its code; false if the provider had to be instantiated to learn them
 * @param options       the options its provider declares with {@link PolicyOption} (an empty list if it declares
 *                      {@code @PolicyOptions({})}); empty if it declares none, so only its code knows them
 */
public record PolicyEntry(String name, String description, String providerClass, String location,
                          boolean declared, Optional<List<Option>> options) {
    /** Copies the options. */
    public PolicyEntry {
        options = Objects.requireNonNull(options, "options").map(List::copyOf);
    }

    /** An entry whose provider does not declare its options. */
    public PolicyEntry(String name, String description, String providerClass, String location, boolean declared) {
        this(name, description, providerClass, location, declared, Optional.empty());
    }

    /**
     * One declared option, from a {@link PolicyOption}.
     *
     * @param name         its key in {@code KEY=VALUE}
     * @param description  what it means
     * @param defaultValue the value used when it is not given, if there is one
     * @param allowed      the values accepted; empty for any the provider parses
     */
    public record Option(String name, String description, Optional<String> defaultValue, List<String> allowed) {
        /** Copies the allowed values. */
        public Option {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(defaultValue, "defaultValue");
            allowed = List.copyOf(allowed);
        }
    }
}
