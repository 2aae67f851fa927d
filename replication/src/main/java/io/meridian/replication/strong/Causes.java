package io.meridian.replication.strong;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The cause of a failed call, unwrapped from its futures, and told in one short line. */
final class Causes {
  private Causes() {}

  /** The failure inside any {@link CompletionException} or {@link ExecutionException} wrappers. */
  static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The root cause's class and the first line of its message, for replies and logs. */
  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage()));
  }

  private static String firstLine(String message) {
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
