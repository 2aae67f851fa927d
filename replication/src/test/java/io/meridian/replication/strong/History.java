package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A history of operations on strong keys, as clients saw them: what each asked, when it called and
 * when it got its answer, and what the answer was. One JSON line per operation when recorded to a
 * file ({@link Recorder}); {@link LinearizabilityChecker} checks it against {@link RegisterModel}.
 */
public final class History {
  private History() {}

  /** What an operation asked for. */
  public enum Kind {
    /** A linearizable read. */
    READ,
    /** An unconditional write of {@code value}. */
    WRITE,
    /** A write of {@code value} if the key is at revision {@code expected} (If-Match). */
    CAS,
    /** A write of {@code value} if the key does not exist (If-None-Match: *). */
    CREATE,
    /** An unconditional delete. */
    DELETE
  }

  /** How an operation ended. */
  public enum Outcome {
    /** The system answered definitely (200, 404, 412). */
    OK,
    /** The system answered that nothing happened (503): the operation is dropped. */
    FAIL,
    /** No definite answer (504, a timeout, a broken connection): it may have happened, any time. */
    UNKNOWN
  }

  /**
   * One operation.
   *
   * @param value for writes, the value written; for an OK read with status 200, the value read
   * @param expected for {@link Kind#CAS}, the revision it expected
   * @param status for {@link Outcome#OK}: 200, 404 (absent) or 412 (precondition failed)
   * @param revision for status 200, the revision read or written; for 412, the key's current
   *     revision (0 when absent)
   * @param call when the client sent it (nanoseconds, one clock for the whole history)
   * @param ret when the client got its answer; ignored unless {@link Outcome#OK}
   */
  public record Op(
      String process,
      String key,
      Kind kind,
      String value,
      long expected,
      Outcome outcome,
      int status,
      long revision,
      long call,
      long ret) {
    public Op {
      Objects.requireNonNull(process, "process");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(outcome, "outcome");
      if (outcome == Outcome.OK && ret < call) {
        throw new IllegalArgumentException("returned before it was called: " + call + " > " + ret);
      }
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("process", process)
          .put("key", key)
          .put("op", kind.name().toLowerCase(java.util.Locale.ROOT))
          .put("value", value)
          .put("expected", expected)
          .put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
          .put("status", status)
          .put("revision", revision)
          .put("call", call)
          .put("return", ret);
    }

    public static Op fromJson(JsonObject json) {
      return new Op(
          json.getString("process"),
          json.getString("key"),
          Kind.valueOf(json.getString("op").toUpperCase(java.util.Locale.ROOT)),
          json.getString("value"),
          json.getLong("expected", 0L),
          Outcome.valueOf(json.getString("outcome").toUpperCase(java.util.Locale.ROOT)),
          json.getInteger("status", 0),
          json.getLong("revision", 0L),
          json.getLong("call"),
          json.getLong("return"));
    }

    @Override
    public String toString() {
      String input =
          switch (kind) {
            case READ -> "read";
            case WRITE -> "write " + value;
            case CAS -> "cas " + expected + "->" + value;
            case CREATE -> "create " + value;
            case DELETE -> "delete";
          };
      String output =
          switch (outcome) {
            case FAIL -> "fail";
            case UNKNOWN -> "unknown";
            case OK ->
                status
                    + (status == 200 && kind == Kind.READ ? " " + value + "@" + revision : "")
                    + (status == 200 && kind != Kind.READ ? " @" + revision : "")
                    + (status == 412 ? " current " + revision : "");
          };
      return String.format(
          "%s %s %s -> %s [%.3f, %s]",
          process,
          key,
          input,
          output,
          call / 1e6,
          outcome == Outcome.OK ? String.format("%.3f", ret / 1e6) : "inf");
    }
  }

  /** Collects operations from many threads and writes each as a JSON line as it completes. */
  public static final class Recorder implements AutoCloseable {
    private final List<Op> ops = new ArrayList<>();
    private final BufferedWriter out;

    public Recorder(Path file) {
      try {
        this.out = Files.newBufferedWriter(file, UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public synchronized void record(Op op) {
      write(op, op.toJson());
    }

    /**
     * Records {@code op} with the node it was sent to, as a {@code "node"} field of its line (which
     * {@link Op#fromJson} ignores).
     */
    public synchronized void record(Op op, String node) {
      write(op, op.toJson().put("node", node));
    }

    private void write(Op op, JsonObject line) {
      ops.add(op);
      try {
        out.write(line.encode());
        out.newLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public synchronized List<Op> ops() {
      return List.copyOf(ops);
    }

    @Override
    public synchronized void close() {
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Reads a history written by a {@link Recorder}. */
  public static List<Op> read(Path file) throws IOException {
    List<Op> ops = new ArrayList<>();
    for (String line : Files.readAllLines(file, UTF_8)) {
      if (!line.isBlank()) {
        ops.add(Op.fromJson(new JsonObject(line)));
      }
    }
    return ops;
  }
}
