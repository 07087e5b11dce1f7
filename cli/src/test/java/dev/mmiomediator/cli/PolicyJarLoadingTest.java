package dev.mmiomediator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmiomediator.policy.Policies;
import dev.mmiomediator.policy.PolicyLoadException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy jars run no code unasked: a provider class is initialized only when its policy is the one selected (or,
 * if it does not declare {@code @PolicyInfo}, when its name must be asked), and a provider that fails in any way
 * is one line naming its jar, its class and the cause, exit 2, from {@code plan} and {@code policies}; from the
 * library, a {@link PolicyLoadException} naming both. Each provider built here appends to a marker file in its
 * static initializer, so a test sees whether its code ran.
 */
class PolicyJarLoadingTest {
    private static final String NL = System.lineSeparator();
    private static final String PACKAGE = "com.example.t";

    @TempDir
    Path tmp;

    /**
     * The source of one provider class {@code com.example.t.NAME}. {@code info} is the annotation line (or
     * empty), the other parts are Java statements or members put in place.
     */
    private record Provider(String simpleName, String info, String staticInit, String constructor,
                            String members, String create) {
        static Provider declared(String simpleName, String policyName) {
            return new Provider(simpleName, "@PolicyInfo(name = \"" + policyName + "\", description = \"declared "
                    + policyName + "\")", "", "", "", "return RulePolicy.builder(name()).otherwise(Decision.FORWARD)"
                    + ".build();");
        }

        /** Without {@code @PolicyInfo}: name() and description() written out, as before the annotation. */
        static Provider undeclared(String simpleName, String policyName) {
            return new Provider(simpleName, "", "", "", "@Override public String name() { return \"" + policyName
                    + "\"; }\n@Override public String description() { return \"undeclared " + policyName
                    + "\"; }", "return RulePolicy.builder(name()).otherwise(Decision.FORWARD).build();");
        }

        Provider staticInit(String s) {
            return new Provider(simpleName, info, s, constructor, members, create);
        }

        Provider constructor(String s) {
            return new Provider(simpleName, info, staticInit, s, members, create);
        }

        Provider members(String s) {
            return new Provider(simpleName, info, staticInit, constructor, s, create);
        }

        Provider create(String s) {
            return new Provider(simpleName, info, staticInit, constructor, members, s);
        }

        String className() {
            return PACKAGE + "." + simpleName;
        }

        String source(Path markers) {
            String marker = markers.resolve(simpleName).toString().replace("\\", "\\\\");
            return "package " + PACKAGE + ";\n\n"
                    + "import dev.mmiomediator.policy.Decision;\n"
                    + "import dev.mmiomediator.policy.P2pPolicy;\n"
                    + "import dev.mmiomediator.policy.PolicyInfo;\n"
                    + "import dev.mmiomediator.policy.PolicyProvider;\n"
                    + "import dev.mmiomediator.policy.RulePolicy;\n"
                    + "import java.util.Map;\n\n"
                    + info + "\n"
                    + "public final class " + simpleName + " implements PolicyProvider {\n"
                    + "    static {\n"
                    + "        try {\n"
                    + "            java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker + "\"), \"ran\\n\",\n"
                    + "                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);\n"
                    + "        } catch (java.io.IOException e) {\n"
                    + "            throw new java.io.UncheckedIOException(e);\n"
                    + "        }\n"
                    + "        " + staticInit + "\n"
                    + "    }\n\n"
                    + "    public " + simpleName + "() {\n"
                    + "        " + constructor + "\n"
                    + "    }\n\n"
                    + "    " + members + "\n\n"
                    + "    @Override\n"
                    + "    public P2pPolicy create(Map<String, String> options) {\n"
                    + "        " + create + "\n"
                    + "    }\n"
                    + "}\n";
        }
    }

    private Path markers() throws IOException {
        return Files.createDirectories(tmp.resolve("markers"));
    }

    /** Whether the static initializer of {@code p} ran. */
    private boolean ran(Provider p) throws IOException {
        return Files.exists(markers().resolve(p.simpleName()));
    }

    private Path dir() {
        return tmp.resolve("policies");
    }

    private Path jar() {
        return dir().resolve("t.jar");
    }

    /** Builds {@code t.jar} in {@link #dir()} with {@code providers} listed and {@code extra} sources. */
    private void jar(List<Provider> providers, Map<String, String> extra, Set<String> omit) throws IOException {
        Files.createDirectories(dir());
        Map<String, String> sources = new LinkedHashMap<>(extra);
        for (Provider p : providers) {
            sources.put(p.className(), p.source(markers()));
        }
        PolicyJar.build(tmp.resolve("build"), jar(), sources,
                providers.stream().map(Provider::className).toList(), omit);
    }

    private void jar(Provider... providers) throws IOException {
        jar(List.of(providers), Map.of(), Set.of());
    }

    /** A line of {@code policies}, aligned to the longest built-in name, {@code example-nic-first}. */
    private static String row(String name, String description) {
        return String.format("%-17s  %s", name, description);
    }

    private CliRun plan(String policy) {
        return CliRun.of("plan", "--policy-path", dir().toString(), "--policy", policy);
    }

    private URLClassLoader loader() throws IOException {
        return new URLClassLoader(new URL[] {jar().toUri().toURL()}, PolicyJarLoadingTest.class.getClassLoader());
    }

    /**
     * {@code run} failed with exactly one line naming the provider class and the jar, then {@code problem}, and
     * no stack trace.
     */
    private void assertOneLine(CliRun run, String className, String problem) {
        assertEquals(2, run.code(), run.err());
        assertEquals("", run.out());
        assertEquals("mmio-mediator: cannot load the policies of --policy-path [" + dir() + "]: policy provider "
                + className + " in " + jar() + ": " + problem + NL, run.err());
    }

    /** {@code plan --policy t-bad} and the library's {@link Policies#create} both refuse {@code bad}. */
    private void assertRefused(Provider bad, String problem) throws IOException {
        assertOneLine(plan("t-bad"), bad.className(), problem);
        try (URLClassLoader loader = loader()) {
            PolicyLoadException e = assertThrows(PolicyLoadException.class,
                    () -> Policies.create("t-bad", Map.of(), loader));
            assertEquals(bad.className(), e.providerClass());
            assertEquals(jar().toString(), e.location());
            assertEquals("policy provider " + bad.className() + " in " + jar() + ": " + problem, e.getMessage());
        }
    }

    // ------------------------------------------------------------ no code runs unasked

    @Test
    void planWithABuiltinPolicyInitializesNoProviderOfThePath() throws IOException {
        Provider declared = Provider.declared("Declared", "t-declared");
        Provider undeclared = Provider.undeclared("Undeclared", "t-undeclared");
        jar(declared, undeclared);
        CliRun r = plan("queue-and-replay");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(NL + "== Policy queue-and-replay: "), r.out());
        assertFalse(ran(declared), "the declared provider's static initializer ran");
        assertFalse(ran(undeclared), "the undeclared provider's static initializer ran");
    }

    @Test
    void planWithAPolicyOfThePathInitializesOnlyItsProviderAndPlansWithIt() throws IOException {
        Provider alpha = Provider.declared("Alpha", "t-alpha");
        Provider beta = Provider.declared("Beta", "t-beta");
        Provider undeclared = Provider.undeclared("Undeclared", "t-undeclared");
        jar(alpha, beta, undeclared);
        CliRun r = plan("t-alpha");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(NL + "== Policy t-alpha: "), r.out());
        assertTrue(ran(alpha), "the selected provider was never initialized");
        assertFalse(ran(beta), "another declared provider's static initializer ran");
        assertFalse(ran(undeclared), "the undeclared provider's static initializer ran");
    }

    @Test
    void findInitializesOnlyTheDeclaredProviderOfTheName() throws IOException {
        Provider alpha = Provider.declared("Alpha", "t-alpha");
        Provider beta = Provider.declared("Beta", "t-beta");
        jar(alpha, beta);
        try (URLClassLoader loader = loader()) {
            assertEquals("t-beta", Policies.find("t-beta", loader).name());
            assertEquals("t-beta", Policies.create("t-beta", Map.of(), loader).name());
        }
        assertFalse(ran(alpha));
        assertTrue(ran(beta));
    }

    @Test
    void policiesListsDeclaredProvidersWithoutInitializingThem() throws IOException {
        Provider alpha = Provider.declared("Alpha", "t-alpha");
        Provider beta = Provider.declared("Beta", "t-beta")
                .staticInit("if (true) throw new IllegalStateException(\"never run\");");
        jar(alpha, beta);
        CliRun r = CliRun.of("policies", "--policy-path", dir().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(NL + row("t-alpha", "declared t-alpha") + NL), r.out());
        assertTrue(r.out().endsWith(NL + row("t-beta", "declared t-beta") + NL), r.out());
        assertFalse(ran(alpha));
        assertFalse(ran(beta));
    }

    @Test
    void policiesInstantiatesAProviderThatDeclaresNothingToAskItsName() throws IOException {
        Provider undeclared = Provider.undeclared("Undeclared", "t-undeclared");
        jar(undeclared);
        CliRun r = CliRun.of("policies", "--policy-path", dir().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith(NL + row("t-undeclared", "undeclared t-undeclared") + NL), r.out());
        assertTrue(ran(undeclared), "as documented, an undeclared provider runs to say its name");
    }

    @Test
    void planWithANameNoProviderDeclaresAsksTheUndeclaredOnesOnly() throws IOException {
        Provider declared = Provider.declared("Declared", "t-declared");
        Provider undeclared = Provider.undeclared("Undeclared", "t-undeclared");
        jar(declared, undeclared);
        CliRun r = plan("t-undeclared");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(NL + "== Policy t-undeclared: "), r.out());
        assertFalse(ran(declared));
        assertTrue(ran(undeclared));
    }

    // ------------------------------------------------------------ a failing provider is one line

    @Test
    void staticInitializerThrowingIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad")
                .staticInit("if (true) throw new IllegalStateException(\"boom in static init\");");
        jar(bad);
        assertRefused(bad, "its static initializer threw java.lang.IllegalStateException: boom in static init");
    }

    @Test
    void staticInitializerThrowingAnErrorIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad").staticInit("if (true) throw new AssertionError(\"boom\");");
        jar(bad);
        assertRefused(bad, "its static initializer threw java.lang.AssertionError: boom");
    }

    @Test
    void constructorThrowingIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad")
                .constructor("if (true) throw new IllegalStateException(\"boom in constructor\");");
        jar(bad);
        assertRefused(bad, "its constructor threw java.lang.IllegalStateException: boom in constructor");
    }

    @Test
    void createThrowingIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad").create("throw new UnsupportedOperationException(\"todo\");");
        jar(bad);
        assertRefused(bad, "create({}) threw java.lang.UnsupportedOperationException: todo");
    }

    @Test
    void createReturningNullIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad").create("return null;");
        jar(bad);
        assertRefused(bad, "create({}) returned null, expected a policy");
    }

    @Test
    void createNeedingAClassTheJarLacksIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad").create("return Helper.policy();");
        jar(List.of(bad), Map.of(PACKAGE + ".Helper", "package " + PACKAGE + ";\n"
                + "final class Helper {\n"
                + "    static dev.mmiomediator.policy.P2pPolicy policy() {\n"
                + "        return null;\n"
                + "    }\n"
                + "}\n"), Set.of(PACKAGE + ".Helper"));
        assertRefused(bad, "create({}) threw java.lang.NoClassDefFoundError: com/example/t/Helper "
                + "(caused by java.lang.ClassNotFoundException: com.example.t.Helper)");
    }

    @Test
    void createHittingAFailingStaticInitializerIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad").create("return Helper.POLICY;");
        jar(List.of(bad), Map.of(PACKAGE + ".Helper", "package " + PACKAGE + ";\n"
                + "final class Helper {\n"
                + "    static final dev.mmiomediator.policy.P2pPolicy POLICY = fail();\n"
                + "    private static dev.mmiomediator.policy.P2pPolicy fail() {\n"
                + "        throw new IllegalStateException(\"helper boom\");\n"
                + "    }\n"
                + "}\n"), Set.of());
        assertRefused(bad, "create({}) threw java.lang.ExceptionInInitializerError "
                + "(caused by java.lang.IllegalStateException: helper boom)");
    }

    @Test
    void createThrowingAServiceConfigurationErrorIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad")
                .create("throw new java.util.ServiceConfigurationError(\"nested lookup failed\");");
        jar(bad);
        assertRefused(bad, "create({}) threw java.util.ServiceConfigurationError: nested lookup failed");
    }

    @Test
    void createRefusingAnOptionStaysTheProvidersOwnMessage() throws IOException {
        Provider picky = Provider.declared("Picky", "t-picky")
                .create("throw new IllegalArgumentException(\"policy 't-picky': unknown option(s) \" + options);");
        jar(picky);
        CliRun r = CliRun.of("plan", "--policy-path", dir().toString(), "--policy", "t-picky", "--option", "x=1");
        assertEquals(2, r.code(), r.err());
        assertEquals("mmio-mediator: policy 't-picky': unknown option(s) {x=1}" + NL, r.err());
    }

    @Test
    void providerWhoseSuperclassTheJarLacksIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad");
        String source = bad.source(markers()).replace("public final class Bad implements PolicyProvider",
                "public final class Bad extends Base implements PolicyProvider");
        Files.createDirectories(dir());
        PolicyJar.build(tmp.resolve("build"), jar(), Map.of(bad.className(), source,
                PACKAGE + ".Base", "package " + PACKAGE + ";\npublic abstract class Base {\n}\n"),
                List.of(bad.className()), Set.of(PACKAGE + ".Base"));
        assertRefused(bad, "cannot be loaded: java.lang.NoClassDefFoundError: com/example/t/Base "
                + "(caused by java.lang.ClassNotFoundException: com.example.t.Base)");
        assertFalse(ran(bad));
    }

    @Test
    void listedClassThatIsNoProviderIsOneLineNamingTheJar() throws IOException {
        Files.createDirectories(dir());
        PolicyJar.build(tmp.resolve("build"), jar(), Map.of(PACKAGE + ".Bad",
                "package " + PACKAGE + ";\npublic final class Bad {\n}\n"), List.of(PACKAGE + ".Bad"));
        assertOneLine(plan("t-bad"), PACKAGE + ".Bad", "is not a dev.mmiomediator.policy.PolicyProvider");
    }

    @Test
    void providerWithoutAPublicNoArgumentConstructorIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad");
        String source = bad.source(markers()).replace("public Bad() {", "public Bad(int x) {");
        Files.createDirectories(dir());
        PolicyJar.build(tmp.resolve("build"), jar(), Map.of(bad.className(), source), List.of(bad.className()));
        assertRefused(bad, "has no public no-argument constructor");
    }

    @Test
    void declaredNameThatNameContradictsIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "t-bad")
                .members("@Override public String name() { return \"t-other\"; }");
        jar(bad);
        assertRefused(bad, "declares @PolicyInfo(name = \"t-bad\") but name() returns 't-other'");
    }

    @Test
    void declaredNameThatIsNotLowerCaseWordsIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.declared("Bad", "T Bad");
        jar(bad);
        assertOneLine(plan("t-bad"), bad.className(),
                "declares @PolicyInfo(name = \"T Bad\"): expected lower case letters and digits, words separated by '-'");
        assertFalse(ran(bad));
    }

    @Test
    void undeclaredProviderThrowingWhileListedIsOneLineNamingTheJar() throws IOException {
        Provider bad = Provider.undeclared("Bad", "t-bad")
                .staticInit("if (true) throw new IllegalStateException(\"boom\");");
        jar(bad);
        assertOneLine(CliRun.of("policies", "--policy-path", dir().toString()), bad.className(),
                "its static initializer threw java.lang.IllegalStateException: boom");
    }

    @Test
    void undeclaredProviderWhoseNameThrowsIsOneLineNamingTheJar() throws IOException {
        Provider bad = new Provider("Bad", "", "", "", "@Override public String name() { throw new "
                + "IllegalStateException(\"no name\"); }", "return null;");
        jar(bad);
        assertOneLine(CliRun.of("policies", "--policy-path", dir().toString()), bad.className(),
                "name() threw java.lang.IllegalStateException: no name");
    }

    @Test
    void twoProvidersDeclaringOneNameIsOneLineNamingBoth() throws IOException {
        jar(Provider.declared("One", "t-same"), Provider.declared("Two", "t-same"));
        CliRun r = plan("t-same");
        assertEquals(2, r.code(), r.err());
        assertEquals("mmio-mediator: cannot load the policies of --policy-path [" + dir() + "]: policy name "
                + "'t-same' is provided twice: by com.example.t.One (in " + jar() + ") and com.example.t.Two (in "
                + jar() + ")" + NL, r.err());
    }

    // ------------------------------------------------------------ help

    @Test
    void helpOfEveryCommandWithAPolicyPathSaysItRunsCodeAndMustBeTrusted() {
        for (String command : List.of("policies", "plan")) {
            CliRun r = CliRun.of(command, "--help");
            assertEquals(0, r.code(), r.err());
            String help = r.out().replaceAll("\\s+", " ");
            assertTrue(help.contains("--policy-path=DIR A directory of policy jars"), command + ": " + help);
            assertTrue(help.contains("Trust it as you would a plugin directory: a jar's provider code runs in this "
                    + "process with your rights when its policy is used"), command + ": " + help);
        }
    }

    @Test
    void policiesHelpSaysWhichProvidersAreListedWithoutRunningThem() {
        String help = CliRun.of("policies", "--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("A provider that declares @PolicyInfo(name, description) on its class is listed "
                + "from that declaration without running any of its code."), help);
        assertTrue(help.contains("listing runs its static initializer and constructor with your rights"), help);
    }
}
