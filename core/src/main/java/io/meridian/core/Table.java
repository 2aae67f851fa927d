package io.meridian.core;

/** The LMDB databases of a node's environment (DESIGN.md, "Storage layout"). */
public enum Table {
  /** Keyspace byte + ring token + key → encoded CRDT state. */
  DATA("data", true),
  /** Node identity, HLC high-water mark, sequence numbers, acknowledgements. */
  META("meta", true),
  /** Target node + sequence → delta awaiting hinted handoff. */
  HINTS("hints", true),
  /** Remote region + sequence → outgoing delta buffer. */
  DELTAS("deltas", true),
  /** Values that failed their checksum, moved aside (raw) so they are never served. */
  QUARANTINE("quarantine", true),
  /**
   * Strong keys: group + key → revision + bytes (the Raft state machine of each group). Derived
   * state: after a crash each group rebuilds it from its latest snapshot and its Raft log, which
   * are durable on their own, so its commits need not reach the disk before they complete.
   */
  STRONG("strong", false);

  private final String dbName;
  private final boolean syncedOnCommit;

  Table(String dbName, boolean syncedOnCommit) {
    this.dbName = dbName;
    this.syncedOnCommit = syncedOnCommit;
  }

  public String dbName() {
    return dbName;
  }

  /**
   * Whether an update of this table completes only once its commit is on disk. When false, the
   * commit is atomic and visible when the update completes, but a machine crash (not a process
   * crash) may undo it until a later synced commit.
   */
  public boolean syncedOnCommit() {
    return syncedOnCommit;
  }
}
