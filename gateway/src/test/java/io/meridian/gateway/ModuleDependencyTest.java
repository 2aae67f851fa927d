package io.meridian.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins the module table of DESIGN.md: dependencies point one way, crdt → core → replication →
 * gateway, and the lower modules know nothing of the ones above them. Test classes (test-classes
 * directories and test-jars) are left out.
 */
class ModuleDependencyTest {
  private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar.*");

  private static JavaClasses production;

  @BeforeAll
  static void importProductionClasses() {
    production =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.matches(TEST_JAR))
            .importPackages("io.meridian");
  }

  @Test
  void importedClasses_includeEveryModule() {
    for (String module : new String[] {"crdt", "core", "replication", "gateway"}) {
      assertThat(production.containPackage("io.meridian." + module)).as(module).isTrue();
    }
    assertThat(production.contain("io.meridian.core.StoreFixture")).isFalse();
    assertThat(production.contain(ModuleDependencyTest.class)).isFalse();
  }

  @Test
  void crdt_dependsOnlyOnTheJdk() {
    classes()
        .that()
        .resideInAPackage("io.meridian.crdt..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("java..", "io.meridian.crdt..")
        .check(production);
  }

  @Test
  void core_doesNotDependOnReplicationGatewayOrVertx() {
    noClasses()
        .that()
        .resideInAPackage("io.meridian.core..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.meridian.replication..", "io.meridian.gateway..", "io.vertx..")
        .check(production);
  }

  @Test
  void replication_doesNotDependOnGateway() {
    noClasses()
        .that()
        .resideInAPackage("io.meridian.replication..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.meridian.gateway..")
        .check(production);
  }
}
