package io.meridian.replication;

import java.util.Optional;

/**
 * How many replicas of a key, inside the coordinator's region, must answer a read or acknowledge a
 * write before the client is told (API.md, "Consistency").
 */
public enum Consistency {
  ONE("one"),
  QUORUM("quorum"),
  ALL("all");

  private final String parameter;

  Consistency(String parameter) {
    this.parameter = parameter;
  }

  /** The value of the {@code ?consistency=} query parameter. */
  public String parameter() {
    return parameter;
  }

  /** Replicas required out of {@code n}. */
  public int required(int n) {
    return switch (this) {
      case ONE -> 1;
      case QUORUM -> n / 2 + 1;
      case ALL -> n;
    };
  }

  /**
   * Replicas a request needs: those its {@code consistency} asks for out of {@code n}, or the
   * configured default ({@code replication.w} or {@code .r}) when it asks for nothing.
   */
  public static int required(Optional<Consistency> consistency, int n, int configuredDefault) {
    return consistency.map(c -> c.required(n)).orElse(configuredDefault);
  }

  public static Optional<Consistency> byParameter(String value) {
    for (Consistency consistency : values()) {
      if (consistency.parameter.equals(value)) {
        return Optional.of(consistency);
      }
    }
    return Optional.empty();
  }
}
