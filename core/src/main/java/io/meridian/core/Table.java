package io.meridian.core;

/** The LMDB databases of a node's environment (DESIGN.md, "Storage layout"). */
public enum Table {
  /** Keyspace byte + ring token + key → encoded CRDT state. */
  DATA("data"),
  /** Node identity, HLC high-water mark, sequence numbers, acknowledgements. */
  META("meta"),
  /** Target node + sequence → delta awaiting hinted handoff. */
  HINTS("hints"),
  /** Remote region + sequence → outgoing delta buffer. */
  DELTAS("deltas"),
  /** Values that failed their checksum, moved aside (raw) so they are never served. */
  QUARANTINE("quarantine"),
  /** Strong keys: group + key → revision + bytes (the Raft state machine of each group). */
  STRONG("strong");

  private final String dbName;

  Table(String dbName) {
    this.dbName = dbName;
  }

  public String dbName() {
    return dbName;
  }
}
