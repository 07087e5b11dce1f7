package dev.mmiomediator.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.policies.example.NicFirstPolicy;
import dev.mmiomediator.policy.P2pPolicy;
import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyEntry;
import dev.mmiomediator.policy.PolicyInfo;
import dev.mmiomediator.policy.PolicyLoadException;
import dev.mmiomediator.policy.PolicyOption;
import dev.mmiomediator.policy.PolicyProvider;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options policies declare with {@code @PolicyOption}: what listings show, what {@link Policies#create} accepts
 * and what a provider reads through {@link Policies#options} are the one declaration.
 */
class DeclaredOptionsTest {
    private final ClassLoader loader = DeclaredOptionsTest.class.getClassLoader();

    private Map<String, PolicyEntry> entries() {
        return Policies.describe(loader).stream().collect(Collectors.toMap(PolicyEntry::name, Function.identity()));
    }

    @Test
    void builtinsWithoutOptionsDeclareNone() {
        Map<String, PolicyEntry> entries = entries();
        for (String name : List.of(FailAlwaysPolicy.NAME, AbortMigrationPolicy.NAME, RequireP2pPolicy.NAME)) {
            assertEquals(Optional.of(List.of()), entries.get(name).options(), name);
        }
    }

    @Test
    void queueAndReplayDeclaresItsReadFallback() {
        PolicyEntry.Option fallback = entries().get(QueueAndReplayPolicy.NAME).options().orElseThrow().get(0);
        assertEquals(QueueAndReplayPolicy.READ_FALLBACK, fallback.name());
        assertEquals(Optional.of(QueueAndReplayPolicy.ReadFallback.ABORT.optionValue()), fallback.defaultValue());
        assertEquals(List.of("abort", "fail"), fallback.allowed());
    }

    @Test
    void theExamplesDeclaredDefaultsAreTheOnesItUses() {
        Map<String, String> defaults = new TreeMap<>();
        for (PolicyEntry.Option o : entries().get(NicFirstPolicy.NAME).options().orElseThrow()) {
            defaults.put(o.name(), o.defaultValue().orElseThrow());
        }
        assertEquals(NicFirstPolicy.DEFAULT_INITIATOR, defaults.get("initiator"));
        assertEquals(NicFirstPolicy.DEFAULT_DEVICE, defaults.get("device"));
        assertEquals(NicFirstPolicy.DEFAULT_BAR, Long.decode(defaults.get("bar")));
        assertEquals(NicFirstPolicy.DEFAULT_FROM, Long.decode(defaults.get("from")));
        assertEquals(NicFirstPolicy.DEFAULT_TO, Long.decode(defaults.get("to")));
        assertEquals(defaults, new TreeMap<>(Policies.options(new NicFirstPolicy.Provider(), Map.of())));
    }

    @Test
    void optionsAddsTheDeclaredDefaultsToTheOnesGiven() {
        QueueAndReplayPolicy.Provider provider = new QueueAndReplayPolicy.Provider();
        assertEquals(Map.of("read-fallback", "abort"), Policies.options(provider, Map.of()));
        assertEquals(Map.of("read-fallback", "fail"), Policies.options(provider, Map.of("read-fallback", "fail")));
    }

    @Test
    void createRefusesWhatTheDeclarationDoesNotAllow() {
        assertEquals("policy 'queue-and-replay': read-fallback=wait, expected abort or fail",
                assertThrows(IllegalArgumentException.class, () -> Policies.create(QueueAndReplayPolicy.NAME,
                        Map.of("read-fallback", "wait"), loader)).getMessage());
        assertEquals("policy 'require-p2p' takes no options, got {x=1}",
                assertThrows(IllegalArgumentException.class, () -> Policies.create(RequireP2pPolicy.NAME,
                        Map.of("x", "1"), loader)).getMessage());
        P2pPolicy p = Policies.create(QueueAndReplayPolicy.NAME, Map.of("read-fallback", "fail"), loader);
        assertEquals(QueueAndReplayPolicy.ReadFallback.FAIL, ((QueueAndReplayPolicy) p).readFallback());
    }

    /** Declares a default its own allowed values exclude. */
    @PolicyInfo(name = "t-bad-default", description = "a default outside its allowed values")
    @PolicyOption(name = "mode", description = "a mode", defaultValue = "x", allowed = {"a", "b"})
    public static final class BadDefault implements PolicyProvider {
        public BadDefault() {
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            throw new AssertionError("never created");
        }
    }

    @Test
    void aDeclarationThatContradictsItselfIsAProviderThatCannotBeUsed(@TempDir Path tmp) throws IOException {
        Path services = Files.createDirectories(tmp.resolve("META-INF/services"));
        Files.writeString(services.resolve(PolicyProvider.class.getName()), BadDefault.class.getName() + "\n");
        try (URLClassLoader withBad = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, loader)) {
            PolicyLoadException e = assertThrows(PolicyLoadException.class, () -> Policies.describe(withBad));
            assertEquals(BadDefault.class.getName(), e.providerClass());
            assertTrue(e.getMessage().endsWith(": declares @PolicyOption(name = \"mode\", defaultValue = \"x\"): "
                    + "expected one of its allowed values [a, b]"), e.getMessage());
        }
    }
}
