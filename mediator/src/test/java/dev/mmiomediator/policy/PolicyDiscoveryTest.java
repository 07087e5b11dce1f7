package dev.mmiomediator.policy;

import static dev.mmiomediator.policy.ServiceFiles.SERVICE_FILE;
import static dev.mmiomediator.policy.ServiceFiles.provider;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding policy providers ({@link Policies}): which provider code runs when, what is listed, and the one-line
 * {@link PolicyLoadException} for every way a provider or a service file can be wrong. The providers are the
 * fixtures in {@link Providers}, loaded afresh per test; a class defined that way has no code source, so its
 * location is the jar or directory whose service file listed it.
 */
class PolicyDiscoveryTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void forgetInitializations() {
        ProviderLog.clear();
    }

    /** A class directory {@code name} under the temporary directory, listing {@code lines}. */
    private Path dir(String name, String... lines) {
        return ServiceFiles.classDirectory(tmp.resolve(name), lines);
    }

    /** A loader seeing one class directory that lists the fixtures {@code simpleNames}. */
    private URLClassLoader listing(String... simpleNames) {
        return ServiceFiles.isolated(dir("p", names(simpleNames)));
    }

    private static String[] names(String... simpleNames) {
        String[] lines = new String[simpleNames.length];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = provider(simpleNames[i]);
        }
        return lines;
    }

    /** {@code call} fails with one line naming {@code className} in {@code location}, then {@code problem}. */
    private static PolicyLoadException assertRefused(String className, String location, String problem,
                                                     Executable call) {
        PolicyLoadException e = assertThrows(PolicyLoadException.class, call);
        assertEquals("policy provider " + className + " in " + location + ": " + problem, e.getMessage());
        assertEquals(className, e.providerClass());
        assertEquals(location, e.location());
        return e;
    }

    private static String classesOf(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    // ------------------------------------------------------------ what runs, what is listed

    @Test
    void findInitializesOnlyTheDeclaredProviderOfTheName() {
        PolicyProvider p = Policies.find("beta-2", listing("Alpha", "Beta", "Undeclared"));
        assertEquals("beta-2", p.name());
        assertEquals(List.of("beta-2"), ProviderLog.initialized());
    }

    @Test
    void findAsksTheUndeclaredProvidersOnlyWhenNoProviderDeclaresTheName() {
        PolicyProvider p = Policies.find("undeclared", listing("Alpha", "Undeclared"));
        assertEquals("undeclared provider", p.description());
        assertEquals(List.of("undeclared"), ProviderLog.initialized());
    }

    @Test
    void aDeclaredProviderWithoutOverridesSaysItsDeclaredNameAndDescription() {
        PolicyProvider p = Policies.find("alpha", listing("Alpha"));
        assertEquals("alpha", p.name());
        assertEquals("declared alpha", p.description());
    }

    @Test
    void describeListsDeclaredProvidersWithoutRunningThemSortedByName() {
        Path dir = dir("p", names("Undeclared", "Beta", "Alpha"));
        List<PolicyEntry> entries = Policies.describe(ServiceFiles.isolated(dir));
        assertEquals(List.of(
                new PolicyEntry("alpha", "declared alpha", provider("Alpha"), dir.toString(), true),
                new PolicyEntry("beta-2", "declared beta", provider("Beta"), dir.toString(), true),
                new PolicyEntry("undeclared", "undeclared provider", provider("Undeclared"), dir.toString(), false)),
                entries);
        assertEquals(List.of("undeclared"), ProviderLog.initialized(), "only the undeclared one had to run");
    }

    @Test
    void availableInstantiatesEveryProviderSortedByName() {
        List<PolicyProvider> all = Policies.available(listing("Undeclared", "Beta", "Alpha"));
        assertEquals(List.of("alpha", "beta-2", "undeclared"), all.stream().map(PolicyProvider::name).toList());
        assertEquals(Set.of("alpha", "beta-2", "undeclared"), Set.copyOf(ProviderLog.initialized()));
    }

    @Test
    void anUnknownNameIsRefusedListingTheNamesFound() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.find("nope", listing("Undeclared", "Alpha")));
        assertEquals("unknown policy 'nope': expected one of alpha, undeclared", e.getMessage());
    }

    @Test
    void withNoProviderAtAllTheRefusalSaysWhereToLook() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.find("alpha", ServiceFiles.isolated(dir("empty", "# nothing here"))));
        assertEquals("unknown policy 'alpha': no policies found (is the policies jar on the class path?)",
                e.getMessage());
    }

    @Test
    void commentsBlankLinesAndSpacesInAServiceFileAreSkipped() {
        Path dir = dir("p", "# providers", "", "   ", "  " + provider("Alpha") + "  # the first",
                "#" + provider("Beta"));
        assertEquals(List.of("alpha"),
                Policies.describe(ServiceFiles.isolated(dir)).stream().map(PolicyEntry::name).toList());
    }

    @Test
    void aClassListedInTwoServiceFilesIsAnErrorNamingBoth() {
        Path first = dir("first", names("Alpha"));
        Path second = dir("second", names("Alpha"));
        String expected = "policy provider " + provider("Alpha") + " is listed twice, in " + first + " and in "
                + second + ": expected one copy, remove one of them";
        assertEquals(expected, assertThrows(PolicyLoadException.class,
                () -> Policies.describe(ServiceFiles.isolated(first, second))).getMessage());
        assertEquals(expected, assertThrows(PolicyLoadException.class,
                () -> Policies.available(ServiceFiles.isolated(first, second))).getMessage());
    }

    @Test
    void aServiceFileInAJarIsLocatedByTheJarsPath() {
        Path jar = ServiceFiles.jar(tmp.resolve("policies.jar"), names("Alpha"));
        assertEquals(jar.toString(), Policies.describe(ServiceFiles.isolated(jar)).get(0).location());
    }

    @Test
    void aProviderWithACodeSourceIsLocatedByItNotByItsServiceFile() throws URISyntaxException {
        Path dir = dir("p", PoliciesTest.TestProvider.class.getName());
        List<PolicyEntry> entries = Policies.describe(ServiceFiles.isolated(dir));
        assertEquals(classesOf(PoliciesTest.TestProvider.class), entries.get(0).location());
        assertEquals(false, entries.get(0).declared());
    }

    @Test
    void createHandsTheOptionsToTheProvider() {
        URLClassLoader loader = listing("Beta");
        assertEquals("beta-2", Policies.create("beta-2", Map.of(), loader).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("beta-2", Map.of("bad", "1"), loader));
        assertEquals("policy 'beta-2': unknown option bad", e.getMessage(), "a bad option is the provider's word");
        NullPointerException n = assertThrows(NullPointerException.class,
                () -> Policies.create("beta-2", null, loader));
        assertEquals("options of policy beta-2", n.getMessage());
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        assertEquals("policy name", assertThrows(NullPointerException.class,
                () -> Policies.find(null, listing("Alpha"))).getMessage());
        assertEquals("class loader", assertThrows(NullPointerException.class,
                () -> Policies.describe(null)).getMessage());
    }

    // ------------------------------------------------------------ two providers of one name

    @Test
    void twoDeclaredProvidersOfOneNameAreRefusedNamingBoth() {
        Path dir = dir("p", names("Alpha", "DeclaredAlphaTwice"));
        String expected = "policy name 'alpha' is provided twice: by " + provider("Alpha") + " (in " + dir
                + ") and " + provider("DeclaredAlphaTwice") + " (in " + dir + ")";
        for (Executable call : List.<Executable>of(() -> Policies.find("alpha", ServiceFiles.isolated(dir)),
                () -> Policies.describe(ServiceFiles.isolated(dir)),
                () -> Policies.available(ServiceFiles.isolated(dir)))) {
            PolicyLoadException e = assertThrows(PolicyLoadException.class, call);
            assertEquals(expected, e.getMessage());
            assertEquals(provider("DeclaredAlphaTwice"), e.providerClass());
            assertEquals(dir.toString(), e.location());
        }
        assertEquals(List.of("alpha"), ProviderLog.initialized(), "only available() ran a provider, the first");
    }

    @Test
    void anUndeclaredProviderClaimingADeclaredNameIsRefusedWhenItIsAsked() {
        Path dir = dir("p", names("Alpha", "AlsoAlpha"));
        PolicyLoadException e = assertThrows(PolicyLoadException.class,
                () -> Policies.find("undeclared", ServiceFiles.isolated(dir)));
        assertEquals("policy name 'alpha' is provided twice: by " + provider("Alpha") + " (in " + dir + ") and "
                + provider("AlsoAlpha") + " (in " + dir + ")", e.getMessage());
        assertEquals(provider("Alpha"), Policies.find("alpha", ServiceFiles.isolated(dir)).getClass().getName(),
                "the declared name is found without asking the undeclared provider");
    }

    // ------------------------------------------------------------ service files that cannot be used

    @Test
    void aLineThatIsNotAClassNameIsRefusedWithItsLineNumber() {
        for (String bad : List.of("not a class", "1abc", "dev.example.Bad-Name")) {
            Path dir = dir("p-" + bad.hashCode(), "# first", provider("Alpha"), bad);
            PolicyLoadException e = assertThrows(PolicyLoadException.class,
                    () -> Policies.describe(ServiceFiles.isolated(dir)), bad);
            assertEquals(SERVICE_FILE + " in " + dir + ", line 3: '" + bad + "' is not a class name", e.getMessage());
            assertEquals(bad, e.providerClass());
            assertEquals(dir.toString(), e.location());
        }
    }

    @Test
    void aServiceFileThatCannotBeReadIsRefusedNamingWhereItIs() {
        PolicyLoadException e = assertThrows(PolicyLoadException.class,
                () -> Policies.describe(ServiceFiles.unreadable("http://policies.invalid/lib/" + SERVICE_FILE)));
        assertEquals("cannot read " + SERVICE_FILE + " in http://policies.invalid/lib/: java.io.IOException: "
                + "disk on fire", e.getMessage());
        assertNull(e.providerClass());
        assertEquals("http://policies.invalid/lib/", e.location());
        assertTrue(e.getCause() instanceof IOException);
    }

    @Test
    void aFailedLookUpOfServiceFilesNamesNoProvider() {
        PolicyLoadException e = assertThrows(PolicyLoadException.class,
                () -> Policies.describe(ServiceFiles.failingLookup()));
        assertEquals("cannot look up " + SERVICE_FILE + ": java.io.IOException: no class path", e.getMessage());
        assertNull(e.providerClass());
        assertNull(e.location());
    }

    @Test
    void aServiceFileNotInAFileIsLocatedByItsUrl() {
        String unknown = "dev.example.Nope";
        String problem = "listed in " + SERVICE_FILE + " but no such class is found";
        assertRefused(unknown, "http://policies.invalid/lib/", problem,
                () -> Policies.describe(ServiceFiles.at("http://policies.invalid/lib/" + SERVICE_FILE, unknown)));
        assertRefused(unknown, "mem:/lib/" + SERVICE_FILE, problem,
                () -> Policies.describe(ServiceFiles.at("mem:/lib/" + SERVICE_FILE, unknown)));
        assertRefused(unknown, "file:/policies with space/", problem,
                () -> Policies.describe(ServiceFiles.at("file:/policies with space/" + SERVICE_FILE, unknown)));
        assertRefused(unknown, "file://host/lib/", problem,
                () -> Policies.describe(ServiceFiles.at("file://host/lib/" + SERVICE_FILE, unknown)));
    }

    // ------------------------------------------------------------ provider classes that cannot be used

    @Test
    void aListedClassThatDoesNotExistIsRefused() {
        Path dir = dir("p", "dev.example.Nope");
        assertRefused("dev.example.Nope", dir.toString(), "listed in " + SERVICE_FILE + " but no such class is "
                + "found", () -> Policies.describe(ServiceFiles.isolated(dir)));
    }

    @Test
    void aProviderWhoseSuperclassIsMissingIsRefused() {
        Path dir = dir("p", names("ExtendsMissing"));
        String base = provider("MissingBase");
        assertRefused(provider("ExtendsMissing"), dir.toString(), "cannot be loaded: java.lang.NoClassDefFoundError: "
                + base.replace('.', '/') + " (caused by java.lang.ClassNotFoundException: " + base + ")",
                () -> Policies.describe(ServiceFiles.isolated(Set.of("MissingBase"), dir)));
    }

    @Test
    void aProviderWhoseConstructorsNameAMissingClassIsRefused() {
        Path dir = dir("p", names("LinksMissing"));
        PolicyLoadException e = assertRefusedLike(provider("LinksMissing"), dir.toString(),
                () -> Policies.describe(ServiceFiles.isolated(Set.of("Missing"), dir)));
        assertTrue(e.getMessage().endsWith(": cannot be linked: java.lang.NoClassDefFoundError: "
                + provider("Missing").replace('.', '/') + " (caused by java.lang.ClassNotFoundException: "
                + provider("Missing") + ")"), e.getMessage());
    }

    /** Refused naming the class and location, whatever the problem. */
    private static PolicyLoadException assertRefusedLike(String className, String location, Executable call) {
        PolicyLoadException e = assertThrows(PolicyLoadException.class, call);
        assertTrue(e.getMessage().startsWith("policy provider " + className + " in " + location + ": "),
                e.getMessage());
        assertEquals(className, e.providerClass());
        assertEquals(location, e.location());
        return e;
    }

    @Test
    void aClassThatIsNoProviderIsRefused() {
        Path dir = dir("p", names("NotAProvider"));
        assertRefused(provider("NotAProvider"), dir.toString(), "is not a dev.mmiomediator.policy.PolicyProvider",
                () -> Policies.describe(ServiceFiles.isolated(dir)));
    }

    @Test
    void anAbstractProviderOrTheInterfaceItselfIsRefused() throws URISyntaxException {
        Path dir = dir("p", names("Abstract"));
        assertRefused(provider("Abstract"), dir.toString(), "is abstract, expected a concrete class",
                () -> Policies.describe(ServiceFiles.isolated(dir)));
        Path spi = dir("spi", PolicyProvider.class.getName());
        assertRefused(PolicyProvider.class.getName(), classesOf(PolicyProvider.class),
                "is abstract, expected a concrete class", () -> Policies.describe(ServiceFiles.isolated(spi)));
    }

    @Test
    void aProviderThatIsNotPublicIsRefused() {
        Path dir = dir("p", names("Hidden"));
        assertRefused(provider("Hidden"), dir.toString(), "is not public",
                () -> Policies.describe(ServiceFiles.isolated(dir)));
    }

    @Test
    void aProviderWithoutAPublicNoArgumentConstructorIsRefused() {
        Path dir = dir("p", names("NeedsArgument"));
        assertRefused(provider("NeedsArgument"), dir.toString(), "has no public no-argument constructor",
                () -> Policies.describe(ServiceFiles.isolated(dir)));
    }

    @Test
    void aDeclaredNameThatIsNotLowerCaseWordsIsRefusedBeforeAnyCodeRuns() {
        Path dir = dir("p", names("BadName"));
        assertRefused(provider("BadName"), dir.toString(), "declares @PolicyInfo(name = \"Bad Name\"): expected "
                + "lower case letters and digits, words separated by '-'",
                () -> Policies.describe(ServiceFiles.isolated(dir)));
    }

    // ------------------------------------------------------------ provider code that fails when it runs

    @Test
    void aStaticInitializerThatThrowsIsRefusedOnOneLineAndTheClassStaysUnusable() {
        Path dir = dir("p", names("StaticThrows"));
        URLClassLoader loader = ServiceFiles.isolated(dir);
        PolicyLoadException first = assertRefused(provider("StaticThrows"), dir.toString(),
                "its static initializer threw java.lang.IllegalStateException: boom in static init",
                () -> Policies.find("static-throws", loader));
        assertEquals("boom in\n  static init", first.getCause().getMessage());
        assertEquals(List.of("static-throws"), ProviderLog.initialized());
        PolicyLoadException again = assertRefusedLike(provider("StaticThrows"), dir.toString(),
                () -> Policies.find("static-throws", loader));
        assertTrue(again.getMessage().contains(": cannot be initialized: java.lang.NoClassDefFoundError: Could not "
                + "initialize class " + provider("StaticThrows")), again.getMessage());
    }

    @Test
    void aStaticInitializerThatThrowsAnErrorIsRefused() {
        Path dir = dir("p", names("StaticError"));
        assertRefused(provider("StaticError"), dir.toString(), "its static initializer threw java.lang.AssertionError: "
                + "static boom", () -> Policies.find("static-error", ServiceFiles.isolated(dir)));
    }

    @Test
    void aConstructorThatThrowsIsRefusedWithItsException() {
        Path dir = dir("p", names("ConstructorThrows"));
        PolicyLoadException e = assertRefused(provider("ConstructorThrows"), dir.toString(),
                "its constructor threw java.lang.UnsupportedOperationException: no instances",
                () -> Policies.find("constructor-throws", ServiceFiles.isolated(dir)));
        assertTrue(e.getCause() instanceof UnsupportedOperationException, String.valueOf(e.getCause()));
    }

    @Test
    void aNameOrDescriptionContradictingTheDeclarationIsRefused() {
        Path dir = dir("p", names("NameContradicts", "DescriptionContradicts"));
        URLClassLoader loader = ServiceFiles.isolated(dir);
        assertRefused(provider("NameContradicts"), dir.toString(),
                "declares @PolicyInfo(name = \"declared-name\") but name() returns 'other-name'",
                () -> Policies.find("declared-name", loader));
        assertRefused(provider("DescriptionContradicts"), dir.toString(),
                "declares @PolicyInfo(description = \"declared\") but description() returns 'said'",
                () -> Policies.find("description-contradicts", loader));
    }

    @Test
    void anUndeclaredNameOrDescriptionThatThrowsOrIsNullIsRefused() {
        Map<String, String> problems = Map.of(
                "NameThrows", "name() threw java.lang.IllegalStateException: no name",
                "NameNull", "name() returned null, expected a string",
                "DescriptionThrows", "description() threw java.lang.AssertionError: no description",
                "DescriptionNull", "description() returned null, expected a string",
                "SaysNothing", "name() threw java.lang.IllegalStateException: " + provider("SaysNothing")
                        + " declares no @PolicyInfo: expected it on the class, or name() and description() overridden");
        problems.forEach((simpleName, problem) -> {
            Path dir = dir("p-" + simpleName, names(simpleName));
            assertRefused(provider(simpleName), dir.toString(), problem,
                    () -> Policies.describe(ServiceFiles.isolated(dir)));
        });
    }

    @Test
    void aProviderThatOverridesOnlyCreateHasNoDescriptionEither() {
        PolicyProvider bare = options -> RulePolicy.builder("x").otherwise(Decision.FAIL).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, bare::description);
        assertTrue(e.getMessage().endsWith(" declares no @PolicyInfo: expected it on the class, or name() and "
                + "description() overridden"), e.getMessage());
    }

    // ------------------------------------------------------------ create

    @Test
    void createFailuresOtherThanABadOptionAreOneLineNamingTheProvider() {
        URLClassLoader loader = listing("CreateFails");
        Map<String, String> problems = Map.of(
                "throw", "threw java.lang.UnsupportedOperationException: todo",
                "error", "threw java.lang.AssertionError: create broke",
                "null", "returned null, expected a policy",
                "wrapped", "threw java.lang.IllegalStateException: outer (caused by java.io.IOException: inner)",
                "wrapped-bare", "threw java.lang.IllegalStateException: outer (caused by java.io.IOException)",
                "bare", "threw java.lang.IllegalStateException");
        problems.forEach((how, problem) -> assertRefused(provider("CreateFails"), "(unknown location)",
                "create({fail=" + how + "}) " + problem,
                () -> Policies.create("create-fails", Map.of("fail", how), loader)));
        assertEquals("create-fails", Policies.create("create-fails", Map.of(), loader).name());
    }

    @Test
    void createRunningOutOfMemoryIsNotDisguised() {
        Path dir = dir("p", names("CreateFails"));
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                () -> Policies.create("create-fails", Map.of("fail", "vm"), ServiceFiles.isolated(dir)));
        assertEquals("simulated", e.getMessage());
    }

    @Test
    void createOfAProviderWithACodeSourceNamesItsLocation() throws URISyntaxException {
        PolicyProvider p = new NullPolicies();
        PolicyLoadException e = assertThrows(PolicyLoadException.class, () -> ProviderClass.create(p, Map.of()));
        assertEquals(classesOf(PolicyDiscoveryTest.class), e.location());
        assertEquals("policy provider " + NullPolicies.class.getName() + " in " + e.location() + ": create({}) "
                + "returned null, expected a policy", e.getMessage());
        assertSame(null, e.getCause());
    }

    /** A provider from this module's test classes whose create returns null. */
    private static final class NullPolicies implements PolicyProvider {
        @Override
        public String name() {
            return "null-policies";
        }

        @Override
        public String description() {
            return "returns no policy";
        }

        @Override
        public P2pPolicy create(Map<String, String> options) {
            return null;
        }
    }
}
