package io.meridian.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Builds a {@link MeridianConfig} from the embedded defaults, an optional YAML file laid over them,
 * and {@code --set key=value} overrides laid over that. The defaults file lists every key, which
 * makes it the schema: a key it does not have is unknown and rejected.
 */
public final class ConfigLoader {
  private static final String DEFAULTS = "defaults.yaml";

  private final YAMLMapper yaml;

  public ConfigLoader() {
    this.yaml =
        YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            // A key written twice is a mistake whichever copy was meant; YAML would keep the last.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
  }

  /** The embedded defaults, exactly what {@code bin/meridian start} runs with no options. */
  public MeridianConfig defaults() {
    return load(Optional.empty(), List.of());
  }

  /**
   * Loads and validates a configuration.
   *
   * @param file a YAML file to lay over the defaults, if any
   * @param overrides {@code dotted.key=value} pairs applied last; values are parsed as YAML, so
   *     {@code cluster.seeds=[a:1,b:2]} is a list
   * @throws ConfigException naming the first bad key
   */
  public MeridianConfig load(Optional<Path> file, List<String> overrides) {
    ObjectNode tree = readDefaults();
    if (file.isPresent()) {
      layOver(tree, readFile(file.get()), "");
    }
    for (String override : overrides) {
      applyOverride(tree, override);
    }
    return bind(tree);
  }

  /** The embedded defaults as YAML text, for documentation and generated configs. */
  public static String defaultsYaml() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode readDefaults() {
    try {
      return (ObjectNode) yaml.readTree(defaultsYaml());
    } catch (IOException e) {
      throw new UncheckedIOException("embedded defaults are unreadable", e);
    }
  }

  private JsonNode readFile(Path file) {
    String name = "--config " + file;
    if (!Files.isReadable(file)) {
      throw new ConfigException(name, "file is not readable");
    }
    try {
      List<JsonNode> documents;
      try (MappingIterator<JsonNode> read =
          yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
        documents = read.readAll();
      }
      if (documents.size() > 1) {
        // Jackson reads the first and would drop the others unseen.
        throw new ConfigException(
            name,
            "holds " + documents.size() + " YAML documents (split by ---); put every key in one");
      }
      JsonNode node = documents.isEmpty() ? null : documents.get(0);
      if (node == null || node.isMissingNode() || node.isNull()) {
        return yaml.createObjectNode();
      }
      if (!node.isObject()) {
        throw new ConfigException(name, "must be a YAML mapping of sections");
      }
      return node;
    } catch (JacksonException e) {
      Optional<String> duplicate = duplicateKey(e);
      if (duplicate.isPresent()) {
        throw new ConfigException(duplicate.get(), "is given more than once in " + name);
      }
      // One line (API.md section 1): the parser's message spans several, with a source excerpt.
      throw new ConfigException(
          name, "invalid YAML: " + e.getOriginalMessage().strip().replaceAll("\\s*\\R\\s*", "; "));
    } catch (IOException e) {
      throw new ConfigException(name, e.getMessage());
    }
  }

  /** The dotted key a parser refused as a duplicate in its mapping, if that is the failure. */
  private static Optional<String> duplicateKey(JacksonException failure) {
    if (!(failure instanceof StreamReadException read)
        || !failure.getOriginalMessage().startsWith("Duplicate field")
        || read.getProcessor() == null) {
      return Optional.empty();
    }
    String pointer = read.getProcessor().getParsingContext().pathAsPointer().toString();
    return Optional.of(pointer.substring(1).replace('/', '.'));
  }

  /** Copies {@code source} onto {@code target} key by key, refusing keys the schema lacks. */
  private static void layOver(ObjectNode target, JsonNode source, String prefix) {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String key = prefix + field.getKey();
      JsonNode existing = target.get(field.getKey());
      if (existing == null) {
        throw new ConfigException(key, "unknown key");
      }
      JsonNode value = field.getValue();
      if (existing.isObject()) {
        if (!value.isObject()) {
          throw new ConfigException(key, "must be a mapping");
        }
        layOver((ObjectNode) existing, value, key + ".");
      } else {
        if (value.isNull()) {
          throw new ConfigException(key, "has no value");
        }
        if (value.isObject()) {
          throw new ConfigException(key, "must be a single value, not a mapping");
        }
        target.set(field.getKey(), value);
      }
    }
  }

  private void applyOverride(ObjectNode tree, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException("--set " + override, "expected key=value");
    }
    String key = override.substring(0, eq).trim();
    String text = override.substring(eq + 1);
    String[] path = key.split("\\.", -1);
    ObjectNode source = yaml.createObjectNode();
    ObjectNode cursor = source;
    for (int i = 0; i < path.length - 1; i++) {
      cursor = cursor.putObject(path[i]);
    }
    cursor.set(path[path.length - 1], parseScalar(text));
    layOver(tree, source, "");
  }

  private JsonNode parseScalar(String text) {
    if (text.isBlank()) {
      return TextNode.valueOf(text);
    }
    try {
      JsonNode node = yaml.readTree(text);
      return node == null || node.isMissingNode() ? TextNode.valueOf(text) : node;
    } catch (IOException e) {
      return TextNode.valueOf(text);
    }
  }

  private MeridianConfig bind(ObjectNode tree) {
    try {
      return yaml.treeToValue(tree, MeridianConfig.class);
    } catch (JsonMappingException e) {
      ConfigException cause = findConfigException(e);
      if (cause != null) {
        throw cause;
      }
      String key =
          e.getPath().stream()
              .map(JsonMappingException.Reference::getFieldName)
              .filter(name -> name != null)
              .collect(Collectors.joining("."));
      throw new ConfigException(key.isEmpty() ? "config" : key, "wrong type or format");
    } catch (JacksonException e) {
      throw new ConfigException("config", e.getOriginalMessage());
    }
  }

  private static ConfigException findConfigException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigException config) {
        return config;
      }
    }
    return null;
  }
}
