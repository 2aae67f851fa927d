package io.meridian.core;

import java.util.Optional;

/** The CRDT keyspaces of API.md section 2, each with its merge rule and a one-byte storage tag. */
public enum Keyspace {
  /** Last-writer-wins registers ({@code /v1/keys}). */
  KEYS((byte) 1, "keys"),
  /** PN-counters ({@code /v1/counters}). */
  COUNTERS((byte) 2, "counters"),
  /** Add-wins OR-sets of strings ({@code /v1/sets}). */
  SETS((byte) 3, "sets");

  private final byte tag;
  private final String pathName;

  Keyspace(byte tag, String pathName) {
    this.tag = tag;
    this.pathName = pathName;
  }

  public byte tag() {
    return tag;
  }

  /** The keyspace's name in URLs and query parameters. */
  public String pathName() {
    return pathName;
  }

  public static Optional<Keyspace> byPathName(String name) {
    for (Keyspace keyspace : values()) {
      if (keyspace.pathName.equals(name)) {
        return Optional.of(keyspace);
      }
    }
    return Optional.empty();
  }

  static Keyspace byTag(byte tag) {
    for (Keyspace keyspace : values()) {
      if (keyspace.tag == tag) {
        return keyspace;
      }
    }
    throw new StoreException(StoreException.Reason.CORRUPT, "unknown keyspace tag " + tag);
  }
}
