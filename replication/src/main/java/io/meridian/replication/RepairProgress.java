package io.meridian.replication;

import java.util.List;
import java.util.Optional;

/**
 * The progress of one anti-entropy repair ({@code GET /v1/admin/repair/{id}}).
 *
 * @param failedPeers the peers whose ranges could not be compared (down, or not answering in time),
 *     in id order: why a repair ended {@code failed}
 */
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
    long finishedAtMillis,
    List<String> failedPeers) {

  public RepairProgress {
    failedPeers = List.copyOf(failedPeers);
  }

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
