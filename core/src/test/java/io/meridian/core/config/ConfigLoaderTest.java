package io.meridian.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private final ConfigLoader loader = new ConfigLoader();

  @TempDir Path dir;

  @Test
  void defaults_matchTheContract() {
    MeridianConfig config = loader.defaults();
    assertThat(config.node().id()).isEqualTo("n1");
    assertThat(config.node().region()).isEqualTo("local");
    assertThat(config.node().dataDir()).isEqualTo("./data/n1");
    assertThat(config.http().host()).isEqualTo("127.0.0.1");
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.replication().n()).isEqualTo(1);
    assertThat(config.limits().maxKeyBytes()).isEqualTo(512);
    assertThat(config.limits().maxValueBytes()).isEqualTo(1 << 20);
    assertThat(config.limits().maxSetElementBytes()).isEqualTo(1024);
  }

  @Test
  void load_fileAndOverrides_layOverDefaultsInOrder() throws IOException {
    Path file =
        write(
            """
            node:
              id: eu-1
              region: eu
            replication:
              n: 3
              w: 2
              r: 2
            cluster:
              seeds: ["127.0.0.1:5701", "127.0.0.1:5702"]
            """);
    MeridianConfig config =
        loader.load(Optional.of(file), List.of("replication.w=3", "http.port=9090"));
    assertThat(config.node().id()).isEqualTo("eu-1");
    assertThat(config.node().dataDir()).isEqualTo("./data/n1");
    assertThat(config.replication().w()).isEqualTo(3);
    assertThat(config.replication().r()).isEqualTo(2);
    assertThat(config.http().port()).isEqualTo(9090);
    assertThat(config.cluster().seeds()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
  }

  @Test
  void load_overrideWithList_parsesYamlFlowSyntax() {
    MeridianConfig config =
        loader.load(Optional.empty(), List.of("cluster.seeds=[10.0.0.1:5701, 10.0.0.2:5701]"));
    assertThat(config.cluster().seeds()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
  }

  @Test
  void load_wGreaterThanN_namesTheKey() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("replication.w=2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("replication.w:")
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo("replication.w");
  }

  @Test
  void load_unknownKeyInFile_namesTheKey() throws IOException {
    Path file = write("replication:\n  quorum: 2\n");
    assertThatThrownBy(() -> loader.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("replication.quorum: unknown key");
  }

  @Test
  void load_fileOfTwoYamlDocuments_isRefused() throws IOException {
    Path file = write("http:\n  port: 21080\n---\nhttp:\n  port: 21081\n");
    assertThatThrownBy(() -> loader.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds 2 YAML documents");
  }

  @Test
  void load_fileWithADocumentStartMarker_isOneDocument() throws IOException {
    Path file = write("---\nhttp:\n  port: 21080\n");
    assertThat(loader.load(Optional.of(file), List.of()).http().port()).isEqualTo(21080);
  }

  @Test
  void load_emptyFile_isTheDefaults() throws IOException {
    Path file = write("");
    assertThat(loader.load(Optional.of(file), List.of()).http().port()).isEqualTo(8080);
  }

  @Test
  void load_unknownSectionInOverride_namesTheKey() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("nodes.id=x")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("nodes: unknown key");
  }

  @Test
  void load_wrongType_namesTheKey() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("http.port=eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("http.port:");
  }

  @Test
  void load_fractionForInteger_isRefused() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("replication.n=1.5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("replication.n:");
  }

  @Test
  void load_portOutOfRange_namesTheKey() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("http.port=70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("http.port:");
  }

  @Test
  void load_malformedSeed_namesTheKey() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("cluster.seeds=[nohost]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cluster.seeds:");
  }

  @Test
  void load_corsOrigins_areOffByDefault_andTakeOriginsOrOneStar() {
    assertThat(loader.load(Optional.empty(), List.of()).http().corsOrigins()).isEmpty();
    assertThat(
            loader
                .load(
                    Optional.empty(),
                    List.of("http.corsOrigins=[https://app.example.com, http://localhost:3000]"))
                .http()
                .corsOrigins())
        .containsExactly("https://app.example.com", "http://localhost:3000");
    assertThat(
            loader.load(Optional.empty(), List.of("http.corsOrigins=[\"*\"]")).http().corsOrigins())
        .containsExactly("*");
  }

  @Test
  void load_corsOriginWithAPath_orStarAmongOthers_namesTheKey() {
    for (String origins :
        List.of("[https://app.example.com/]", "[app.example.com]", "[\"*\", https://a.example]")) {
      assertThatThrownBy(
              () -> loader.load(Optional.empty(), List.of("http.corsOrigins=" + origins)))
          .as(origins)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("http.corsOrigins:");
    }
  }

  @Test
  void load_missingFile_isAConfigError() {
    assertThatThrownBy(() -> loader.load(Optional.of(dir.resolve("absent.yaml")), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not readable");
  }

  @Test
  void load_keyGivenTwiceInFile_namesTheKey() throws IOException {
    Path file = write("http:\n  port: 8081\n  host: 127.0.0.1\n  port: 8082\n");
    assertThatThrownBy(() -> loader.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo("http.port");
  }

  @Test
  void load_invalidYaml_isAConfigErrorOnOneLine() throws IOException {
    Path file = write("node: [unclosed\n");
    assertThatThrownBy(() -> loader.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("invalid YAML")
        .hasMessageContaining("line 1")
        .message()
        .doesNotContain("\n", "\r");
  }

  @Test
  void load_overrideWithoutEquals_isAConfigError() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("replication.w")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected key=value");
  }

  @Test
  void load_sectionGivenAsScalar_isAConfigError() {
    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("node=3")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("node: must be a mapping");
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
