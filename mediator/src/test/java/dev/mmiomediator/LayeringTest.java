package dev.mmiomediator;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library's layers, as the root README draws them, checked over the compiled production classes: each
 * package may depend only on the project's packages listed for it here (and on any library). From the bottom:
 *
 * <pre>
 *   pci, input                      PCI identity; reading untrusted input      (nothing of the project)
 *   memory                          regions, address spaces, flat views        (pci, input)
 *   vfio                            the kernel's migration state machine       (pci, input)
 *   dma                             mediated views, dispatch, DMA ports        (memory, vfio)
 *   trace                           migration events, their listener, recorder (dma, vfio)
 *   policy                          the policy SPI and engine                  (trace, dma, memory, vfio)
 *   mtree                           info mtree import, export, audit           (memory)
 *   vfio.sim                        the simulated passthrough device           (policy, dma, memory, vfio)
 *   vm                              the entry point: a mediated VM, wired      (policy, dma, memory, vfio)
 *   migration.stream, .plan, root   the stream, the planner, the two sides     (the layers below, no simulator)
 *   migration.sim                   the simulated VM                           (anything)
 * </pre>
 */
class LayeringTest {
    private static final String P = "dev.mmiomediator.";

    /** Each package and the project packages it may use besides itself. */
    private static final Map<String, List<String>> ALLOWED = new LinkedHashMap<>();

    static {
        ALLOWED.put("pci", List.of());
        ALLOWED.put("input", List.of());
        ALLOWED.put("memory", List.of("pci", "input"));
        ALLOWED.put("vfio", List.of("pci", "input"));
        ALLOWED.put("dma", List.of("memory", "vfio", "pci", "input"));
        ALLOWED.put("trace", List.of("dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("policy", List.of("trace", "dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("mtree", List.of("memory", "pci", "input"));
        ALLOWED.put("vfio.sim", List.of("policy", "trace", "dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("vm", List.of("policy", "trace", "dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("migration.stream", List.of("policy", "trace", "dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("migration.plan", List.of("policy", "trace", "dma", "memory", "vfio", "pci", "input"));
        ALLOWED.put("migration", List.of("migration.stream", "migration.plan", "policy", "trace", "dma", "memory",
                "vfio", "pci", "input"));
    }

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .withImportOption(location -> !location.contains("/src-test-fixtures/")) // test code, reactor-built
                .importPackages("dev.mmiomediator");
    }

    private static ArchRule rule(String pkg) {
        List<String> may = new ArrayList<>();
        may.add(P + pkg);
        ALLOWED.get(pkg).forEach(p -> may.add(P + p));
        DescribedPredicate<JavaClass> allowed = resideOutsideOfPackage(P + ".")
                .or(resideInAnyPackage(may.toArray(String[]::new)));
        return classes().that().resideInAPackage(P + pkg)
                .should().onlyDependOnClassesThat(allowed.as("outside the project, or in " + may))
                .allowEmptyShould(false);
    }

    @Test
    void everyPackageDependsOnlyOnTheLayersBelowIt() {
        List<String> violations = new ArrayList<>();
        for (String pkg : ALLOWED.keySet()) {
            EvaluationResult r = rule(pkg).evaluate(production);
            violations.addAll(r.getFailureReport().getDetails());
        }
        assertEquals(List.of(), violations, "dependencies that point the wrong way");
    }

    @Test
    void everyProductionPackageHasItsLayer() {
        List<String> unplaced = new ArrayList<>();
        for (JavaClass c : production) {
            String pkg = c.getPackageName();
            if (pkg.startsWith(P) && !pkg.equals(P + "migration.sim")
                    && !ALLOWED.containsKey(pkg.substring(P.length()))) {
                unplaced.add(c.getName());
            }
        }
        assertEquals(List.of(), unplaced, "a package of the library with no place in the layers: add it to ALLOWED");
        assertFalse(production.isEmpty(), "no production classes were imported");
    }

    @Test
    void aWrongImportIsCaught() {
        // a class of the memory package's that names the VFIO state machine, compiled with the tests
        JavaClasses canary = new ClassFileImporter().importPackages("dev.mmiomediator.memory");
        EvaluationResult r = rule("memory").evaluate(canary);
        assertTrue(r.hasViolation(), "the memory rule let memory depend on vfio");
        assertTrue(r.getFailureReport().getDetails().stream().anyMatch(d -> d.contains("MigrationState")),
                r.getFailureReport().toString());
    }
}
