package dev.mmiomediator.migration.plan;

import dev.mmiomediator.policy.Decision;
import dev.mmiomediator.pci.PciAddress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the policy does with accesses to one device that lacks P2P while that device cannot accept them.
 *
 * <p>{@code cases} is the device's decision table: the policy's decision for every software device, BAR, state the
 * device cannot accept in (with the phase it is in then) and access kind. The summary and the plan's reason line
 * for the device are both made from it, by one function, so they cannot say different things.
 *
 * <p>{@code whileStopped} and {@code whileResuming} map {@code "write"} and {@code "read"} to one decision each: the
 * decision when every software device, BAR and state agree, otherwise the most harmful one among them (FORWARD to a
 * device that cannot accept, then FAIL, then ABORT_MIGRATION, then QUEUE); {@code cases} has every answer. A map is
 * empty when nothing was asked (no software device). Immutable and thread-safe.
 *
 * @param device        the device
 * @param summary       what happens, in plain words
 * @param whileStopped  on the source, while the device is STOP or STOP_COPY and others still run
 * @param whileResuming on the destination, while the device is RESUMING (or STOP on its way in or out)
 * @param cases         every question asked of the policy and its answer, in the order asked
 */
public record DeviceHandling(PciAddress device, String summary, Map<String, Decision> whileStopped,
                             Map<String, Decision> whileResuming, List<HandlingCase> cases) {
    /** The key of a write's decision. */
    public static final String WRITE = "write";
    /** The key of a read's decision. */
    public static final String READ = "read";

    /** Copies the collections. */
    public DeviceHandling {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(summary, "summary");
        whileStopped = Collections.unmodifiableMap(new LinkedHashMap<>(whileStopped));
        whileResuming = Collections.unmodifiableMap(new LinkedHashMap<>(whileResuming));
        cases = List.copyOf(cases);
    }

    /** Without the individual cases. */
    public DeviceHandling(PciAddress device, String summary, Map<String, Decision> whileStopped,
            Map<String, Decision> whileResuming) {
        this(device, summary, whileStopped, whileResuming, List.of());
    }
}
