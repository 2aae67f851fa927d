package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The deployment files in {@code configs/}: every node config passes the config schema, the
 * multi-region compose file is valid for docker-compose (checked without a Docker engine) and
 * agrees with the node configs it mounts.
 */
class DeploymentConfigsTest {
  private static final Path CONFIGS = Path.of("..", "configs");
  private static final Path COMPOSE = CONFIGS.resolve("docker-compose.yml");

  @Test
  void nodeConfigs_passTheSchema() throws IOException {
    List<Path> yamls;
    try (Stream<Path> files = Files.walk(CONFIGS)) {
      yamls = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(yamls).hasSizeGreaterThanOrEqualTo(10);
    for (Path yaml : yamls) {
      assertThat(new ConfigLoader().load(Optional.of(yaml), List.of()))
          .as(yaml.toString())
          .isNotNull();
    }
  }

  @Test
  void compose_mountsAConfigPerNodeWhoseClusterHostIsItsWanAddress() throws IOException {
    JsonNode compose = new YAMLMapper().readTree(COMPOSE.toFile());
    JsonNode services = compose.get("services");
    assertThat(services.size()).isEqualTo(9);
    services
        .fields()
        .forEachRemaining(
            service -> {
              String mount = service.getValue().get("volumes").get(0).asText();
              Path config = CONFIGS.resolve(mount.substring(2, mount.indexOf(':')));
              MeridianConfig node = new ConfigLoader().load(Optional.of(config), List.of());
              assertThat(node.node().id()).isEqualTo(service.getKey());
              String wanAddress =
                  service.getValue().get("networks").get("wan").get("ipv4_address").asText();
              assertThat(node.cluster().host()).as(service.getKey()).isEqualTo(wanAddress);
              assertThat(node.cluster().seeds()).hasSize(9);
            });
  }

  @Test
  void compose_isValidForDockerCompose() throws Exception {
    Optional<Path> dockerCompose = onPath("docker-compose");
    // CI installs Debian's docker-compose (.ci/run); a developer machine may not have it.
    Assumptions.assumeTrue(
        dockerCompose.isPresent() || System.getenv("CI") != null,
        "docker-compose is not installed");
    assertThat(dockerCompose).as("docker-compose on PATH").isPresent();
    Process process =
        new ProcessBuilder(dockerCompose.get().toString(), "-f", COMPOSE.toString(), "config", "-q")
            .redirectErrorStream(true)
            .start();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as(output).isZero();
    } finally {
      process.destroyForcibly();
    }
  }

  private static Optional<Path> onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir, command);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
