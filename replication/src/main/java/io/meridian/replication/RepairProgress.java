package io.meridian.replication;

import java.util.Optional;

/** The progress of one anti-entropy repair ({@code GET /v1/admin/repair/{id}}). */
public record RepairProgress(
    String id,
    State state,
    boolean dryRun,
    Optional<String> keyspace,
    Optional<String> peer,
    int rangesTotal,
    int rangesCompared,
    int rangesFailed,
    long keysRepaired,
    long differences,
    long bytesSent,
    long startedAtMillis,
    long finishedAtMillis) {

  /** Where a repair is. */
  public enum State {
    RUNNING,
    DONE,
    FAILED;

    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
