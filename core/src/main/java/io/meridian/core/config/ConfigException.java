package io.meridian.core.config;

/**
 * An invalid node configuration. The message is one line that starts with the offending key, so an
 * operator can find it in their file: {@code replication.w: must be between 1 and n (3)}.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  /** The dotted config key at fault, e.g. {@code replication.w}. */
  public String key() {
    return key;
  }

  static void require(boolean condition, String key, String problem) {
    if (!condition) {
      throw new ConfigException(key, problem);
    }
  }

  static void requireRange(long value, long min, long max, String key) {
    require(value >= min && value <= max, key, "must be between " + min + " and " + max);
  }
}
