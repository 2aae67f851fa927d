package io.meridian.replication.strong;

import java.util.TreeSet;

/**
 * The nonces of one client's requests, and which of its writes are still open: created and not yet
 * finished (answered, with no copy left to send). The lowest open write, or the next nonce when
 * none is open, is what each request tells the state machine the client has finished below ({@link
 * StrongRequest#finishedBelow()}); a nonce is never handed out below it.
 */
final class RequestNonces {
  private long last;
  private final TreeSet<Long> open = new TreeSet<>();

  /** A nonce for a request that is not a write: a read, a batch, an administrative call. */
  synchronized long next() {
    return ++last;
  }

  /** A nonce for a write, open until {@link #finish}ed. */
  synchronized long open() {
    open.add(++last);
    return last;
  }

  synchronized void finish(long nonce) {
    open.remove(nonce);
  }

  synchronized long finishedBelow() {
    return open.isEmpty() ? last + 1 : open.first();
  }
}
