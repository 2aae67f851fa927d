package io.meridian.replication.strong;

/**
 * The condition a strong write is made under, checked by the state machine against the key's
 * current revision at the write's place in the group's total order (HTTP {@code If-Match} / {@code
 * If-None-Match}). The gateway also checks LWW register writes with it, against the version a read
 * just before the write found: a check, not an atomic compare-and-set.
 */
public sealed interface Precondition {

  /** Whether a key whose current revision is {@code current} (0 when absent) satisfies it. */
  boolean holds(long current);

  /** No condition: an unconditional write. */
  record None() implements Precondition {
    @Override
    public boolean holds(long current) {
      return true;
    }
  }

  /** Compare-and-set: the key exists with exactly this revision ({@code If-Match: "r"}). */
  record RevisionIs(long revision) implements Precondition {
    public RevisionIs {
      if (revision <= 0) {
        throw new IllegalArgumentException("revisions are positive, not " + revision);
      }
    }

    @Override
    public boolean holds(long current) {
      return current == revision;
    }
  }

  /** The key exists, whatever its revision ({@code If-Match: *}). */
  record Exists() implements Precondition {
    @Override
    public boolean holds(long current) {
      return current > 0;
    }
  }

  /** Create only: the key does not exist ({@code If-None-Match: *}). */
  record Absent() implements Precondition {
    @Override
    public boolean holds(long current) {
      return current == 0;
    }
  }

  static Precondition none() {
    return new None();
  }
}
