package dev.mmiomediator.policy;

/**
 * One policy as a listing shows it, from {@link Policies#describe}.
 *
 * @param name          the name it is selected by
 * @param description   one line saying what it does
 * @param providerClass the binary name of its provider class
 * @param location      the jar or class directory the provider comes from (a file path, or a URL)
 * @param declared      true if name and description were read from the class's {@link PolicyInfo} without
 *                      running its code; false if the provider had to be instantiated to learn them
 */
public record PolicyEntry(String name, String description, String providerClass, String location,
                          boolean declared) {
}
