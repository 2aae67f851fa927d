package io.meridian.replication;

/**
 * The result of a coordinated read or write, with how many replicas took part ({@code
 * X-Meridian-Replicas: acked/required}).
 */
public record Replicated<T>(T value, int acked, int required) {
  public Replicated {
    if (acked < 0 || required < 1) {
      throw new IllegalArgumentException("acked " + acked + ", required " + required);
    }
  }
}
