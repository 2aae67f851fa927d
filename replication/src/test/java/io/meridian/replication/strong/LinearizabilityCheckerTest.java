package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.replication.strong.History.Kind;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.meridian.replication.strong.LinearizabilityChecker.Verdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker on hand-made histories (times in milliseconds, one key unless said otherwise), and on
 * generated ones: histories of a real register are linearizable, the same histories with one read
 * made stale are not.
 */
class LinearizabilityCheckerTest {
  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  @Test
  void sequentialWriteThenRead_isLinearizable() {
    assertLinearizable(write("p1", "a", 1, 0, 1), read("p2", "a", 1, 2, 3));
  }

  @Test
  void readOfAnOverwrittenValue_afterTheOverwriteReturned_isNot() {
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1), write("p1", "b", 2, 2, 3), read("p2", "a", 1, 4, 5));
  }

  @Test
  void readsOverlappingAWrite_mayEachSeeBeforeOrAfter() {
    assertLinearizable(
        write("p1", "a", 1, 0, 10),
        absent("p2", 1, 3),
        read("p3", "a", 1, 2, 4),
        absent("p2", 4, 5));
  }

  @Test
  void readsOverlappingAWrite_cannotGoBackInTime() {
    assertNotLinearizable(write("p1", "a", 1, 0, 10), read("p2", "a", 1, 1, 2), absent("p2", 3, 4));
  }

  @Test
  void concurrentWrites_areOrderedByTheirRevisions() {
    assertLinearizable(
        write("p1", "a", 1, 0, 10), write("p2", "b", 2, 0, 10), read("p3", "b", 2, 11, 12));
    assertNotLinearizable(
        write("p1", "a", 1, 0, 10), write("p2", "b", 2, 0, 10), read("p3", "a", 1, 11, 12));
  }

  @Test
  void revisionsOfOneKey_onlyGoUp() {
    assertNotLinearizable(write("p1", "a", 5, 0, 1), write("p1", "b", 3, 2, 3));
  }

  @Test
  void compareAndSet_onTheCurrentRevision_isLinearizable() {
    assertLinearizable(
        write("p1", "a", 1, 0, 1),
        cas("p2", 1, "b", 2, 2, 3),
        casFailed("p3", 1, "c", 2, 4, 5),
        read("p1", "b", 2, 6, 7));
  }

  @Test
  void lostUpdate_twoCompareAndSetsOnOneRevisionBothApplied_isNot() {
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1), cas("p2", 1, "b", 2, 2, 5), cas("p3", 1, "c", 3, 3, 6));
  }

  @Test
  void lostCompareAndSet_aSucceededCasInvisibleToALaterRead_isNot() {
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1), cas("p2", 1, "b", 2, 2, 3), read("p3", "a", 1, 4, 5));
  }

  @Test
  void failedPrecondition_mustReportTheCurrentRevision() {
    assertLinearizable(write("p1", "a", 1, 0, 1), casFailed("p2", 5, "x", 1, 2, 3));
    assertNotLinearizable(write("p1", "a", 1, 0, 1), casFailed("p2", 5, "x", 7, 2, 3));
    assertNotLinearizable(write("p1", "a", 1, 0, 1), casFailed("p2", 1, "x", 1, 2, 3));
  }

  @Test
  void failedWriteThatBecomesVisible_isNot() {
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1), failed(Kind.WRITE, "p2", "b", 2, 3), read("p3", "b", 2, 4, 5));
  }

  @Test
  void unknownWrite_mayTakeEffectLate_orNever() {
    Op unknown = unknown(Kind.WRITE, "p2", "b", 0, 2);
    assertLinearizable(
        write("p1", "a", 1, 0, 1), unknown, read("p3", "a", 1, 4, 5), read("p3", "b", 2, 8, 9));
    assertLinearizable(write("p1", "a", 1, 0, 1), unknown, read("p3", "a", 1, 4, 5));
  }

  @Test
  void unknownWrite_onceSeen_staysSeen() {
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1),
        unknown(Kind.WRITE, "p2", "b", 0, 2),
        read("p3", "b", 2, 4, 5),
        read("p3", "a", 1, 6, 7));
  }

  @Test
  void unknownCompareAndSet_onAnUnknownRevision_mayOrMayNotApply() {
    Op write = unknown(Kind.WRITE, "p1", "a", 0, 0);
    Op cas = unknown(Kind.CAS, "p2", "b", 3, 5);
    assertLinearizable(write, cas, read("p3", "b", 4, 10, 11));
    assertLinearizable(write, cas, read("p3", "a", 3, 10, 11));
    assertNotLinearizable(write, cas, read("p3", "b", 4, 10, 11), read("p3", "a", 3, 12, 13));
  }

  @Test
  void manyUnknownWritesNoReadSaw_leaveTheSearchSmall_andAStaleReadIsStillCaught() {
    // A leader whose disk filled answered a burst of writes with 504s; 25 of them pending at once
    // would give the search 2^25 configurations to go through before calling a stale read.
    LinearizabilityChecker bounded = new LinearizabilityChecker(20_000_000, 100_000);
    List<Op> history = new ArrayList<>();
    history.add(write("p0", "a", 1, 0, 1));
    for (int i = 0; i < 25; i++) {
      history.add(unknown(Kind.WRITE, "u" + i, "lost-" + i, 0, 2));
    }
    history.add(unknown(Kind.WRITE, "p1", "late", 0, 3));
    history.add(cas("p0", 1, "b", 2, 4, 5));
    history.add(read("p2", "late", 3, 6, 7));

    assertThat(bounded.check(history).linearizable()).isTrue();
    history.add(read("p2", "b", 2, 8, 9));
    LinearizabilityChecker.Result stale = bounded.check(history);
    assertThat(stale.failures())
        .as("%s", stale)
        .singleElement()
        .extracting(LinearizabilityChecker.KeyResult::verdict)
        .isEqualTo(Verdict.NOT_LINEARIZABLE);
  }

  @Test
  void anUnknownWriteOnlyARevisionShows_isKept() {
    // No read returns b, but the 412 reports the revision b took.
    assertLinearizable(
        write("p1", "a", 1, 0, 1),
        unknown(Kind.WRITE, "p2", "b", 0, 2),
        casFailed("p3", 1, "c", 2, 4, 5));
    assertLinearizable(
        write("p1", "a", 1, 0, 1),
        unknown(Kind.WRITE, "p2", "b", 0, 2),
        unknown(Kind.CAS, "p3", "c", 2, 4),
        read("p1", "c", 3, 6, 7));
  }

  @Test
  void anUnknownWriteOnlyADeleteShows_isKept() {
    // The key existed for the delete to succeed only if b was written.
    assertLinearizable(unknown(Kind.WRITE, "p1", "b", 0, 0), delete("p2", 2, 3, 4));
  }

  @Test
  void deleteAndCreate_followTheRegister() {
    assertLinearizable(
        write("p1", "a", 1, 0, 1),
        delete("p1", 2, 2, 3),
        absent("p2", 4, 5),
        create("p2", "b", 3, 6, 7),
        createFailed("p3", 3, 8, 9),
        read("p1", "b", 3, 10, 11));
    assertNotLinearizable(
        write("p1", "a", 1, 0, 1), delete("p1", 2, 2, 3), read("p2", "a", 1, 4, 5));
  }

  @Test
  void keysAreCheckedIndependently() {
    List<Op> history =
        List.of(
            write("p1", "a", 1, 0, 1),
            onKey("y", write("p1", "z", 1, 0, 1)),
            read("p2", "a", 1, 2, 3),
            onKey("y", write("p2", "w", 2, 2, 3)),
            onKey("y", read("p3", "z", 1, 4, 5)));
    LinearizabilityChecker.Result result = checker.check(history);
    assertThat(result.keys().get("k").verdict()).isEqualTo(Verdict.LINEARIZABLE);
    assertThat(result.keys().get("y").verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    assertThat(result.linearizable()).isFalse();
    assertThat(result.toString()).contains("y: NOT_LINEARIZABLE").contains("read -> 200 z@1");
  }

  @Test
  void historyFile_roundTrips(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("history.jsonl");
    List<Op> ops =
        List.of(
            write("p1", "a", 1, 0, 1),
            unknown(Kind.CAS, "p2", "b", 1, 2),
            failed(Kind.WRITE, "p3", "c", 2, 3),
            absent("p1", 4, 5));
    try (History.Recorder recorder = new History.Recorder(file)) {
      ops.forEach(recorder::record);
    }
    assertThat(History.read(file)).isEqualTo(ops);
  }

  @Test
  void generatedHistoriesOfARealRegister_areLinearizable_andAStaleReadIsCaught() {
    for (int seed = 1; seed <= 10; seed++) {
      List<Op> history = generate(new SplittableRandom(seed), 5, 200);
      LinearizabilityChecker.Result result = checker.check(history);
      assertThat(result.linearizable()).as("seed %d:%n%s", seed, result).isTrue();

      List<Op> stale = makeOneReadStale(history);
      if (stale != null) {
        assertThat(checker.check(stale).linearizable()).as("stale read, seed %d", seed).isFalse();
      }
    }
  }

  /**
   * A history of {@code processes} clients on one register, each operation taking effect at a
   * random instant inside its interval; some writes end unknown (they took effect, or never did).
   */
  private static List<Op> generate(SplittableRandom random, int processes, int operations) {
    String value = null;
    long revision = 0;
    long counter = 0;
    List<Op> ops = new ArrayList<>();
    long[] busyUntil = new long[processes];
    long now = 0;
    for (int i = 0; i < operations; i++) {
      now += random.nextInt(1, 5);
      int p = random.nextInt(processes);
      while (busyUntil[p] >= now) {
        now++;
      }
      // Takes effect at "now", in generation order; its interval surrounds that instant.
      long call = Math.max(busyUntil[p] + 1, now - random.nextInt(0, 20));
      long ret = now + random.nextInt(0, 20);
      busyUntil[p] = ret;
      String process = "p" + p;
      int choice = random.nextInt(100);
      if (choice < 50) {
        ops.add(
            value == null ? absent(process, call, ret) : read(process, value, revision, call, ret));
      } else if (choice < 75) {
        String written = "v" + i;
        if (random.nextInt(10) == 0) {
          boolean applied = random.nextBoolean();
          if (applied) {
            value = written;
            revision = ++counter;
          }
          ops.add(unknown(Kind.WRITE, process, written, 0, call));
          busyUntil[p] = call;
        } else {
          value = written;
          revision = ++counter;
          ops.add(write(process, written, revision, call, ret));
        }
      } else {
        long expected = Math.max(1, random.nextBoolean() ? revision : revision - 1);
        String written = "v" + i;
        if (value != null && expected == revision) {
          value = written;
          revision = ++counter;
          ops.add(cas(process, expected, written, revision, call, ret));
        } else {
          ops.add(casFailed(process, expected, written, value == null ? 0 : revision, call, ret));
        }
      }
    }
    return ops;
  }

  /** The history with one read that saw a write replaced by the value before it; null if none. */
  private static List<Op> makeOneReadStale(List<Op> history) {
    for (int i = history.size() - 1; i > 0; i--) {
      Op op = history.get(i);
      if (op.kind() != Kind.READ || op.status() != 200) {
        continue;
      }
      for (int j = i - 1; j >= 0; j--) {
        Op earlier = history.get(j);
        if (earlier.outcome() == Outcome.OK
            && earlier.status() == 200
            && earlier.kind() != Kind.READ
            && earlier.revision() < op.revision()
            && earlier.ret() < op.call()
            && history.stream()
                .filter(o -> o.outcome() == Outcome.OK && o.status() == 200)
                .filter(o -> o.kind() != Kind.READ)
                .anyMatch(o -> o.revision() == op.revision() && o.ret() < op.call())) {
          List<Op> stale = new ArrayList<>(history);
          stale.set(
              i,
              new Op(
                  op.process(),
                  op.key(),
                  Kind.READ,
                  earlier.value(),
                  0,
                  Outcome.OK,
                  200,
                  earlier.revision(),
                  op.call(),
                  op.ret()));
          return stale;
        }
      }
    }
    return null;
  }

  // ---- history builders --------------------------------------------------------------------

  private void assertLinearizable(Op... ops) {
    LinearizabilityChecker.Result result = checker.check(List.of(ops));
    assertThat(result.linearizable()).as("%s", result).isTrue();
  }

  private void assertNotLinearizable(Op... ops) {
    LinearizabilityChecker.Result result = checker.check(List.of(ops));
    assertThat(result.linearizable()).as("%s", result).isFalse();
    assertThat(result.failures()).allMatch(k -> k.verdict() == Verdict.NOT_LINEARIZABLE);
  }

  private static Op onKey(String key, Op op) {
    return new Op(
        op.process(),
        key,
        op.kind(),
        op.value(),
        op.expected(),
        op.outcome(),
        op.status(),
        op.revision(),
        op.call(),
        op.ret());
  }

  private static Op write(String p, String value, long revision, long call, long ret) {
    return ok(p, Kind.WRITE, value, 0, 200, revision, call, ret);
  }

  private static Op cas(String p, long expected, String value, long revision, long call, long ret) {
    return ok(p, Kind.CAS, value, expected, 200, revision, call, ret);
  }

  private static Op casFailed(
      String p, long expected, String value, long current, long call, long ret) {
    return ok(p, Kind.CAS, value, expected, 412, current, call, ret);
  }

  private static Op create(String p, String value, long revision, long call, long ret) {
    return ok(p, Kind.CREATE, value, 0, 200, revision, call, ret);
  }

  private static Op createFailed(String p, long current, long call, long ret) {
    return ok(p, Kind.CREATE, "ignored", 0, 412, current, call, ret);
  }

  private static Op delete(String p, long revision, long call, long ret) {
    return ok(p, Kind.DELETE, null, 0, 200, revision, call, ret);
  }

  private static Op read(String p, String value, long revision, long call, long ret) {
    return ok(p, Kind.READ, value, 0, 200, revision, call, ret);
  }

  private static Op absent(String p, long call, long ret) {
    return ok(p, Kind.READ, null, 0, 404, 0, call, ret);
  }

  private static Op failed(Kind kind, String p, String value, long call, long ret) {
    return new Op(p, "k", kind, value, 0, Outcome.FAIL, 503, 0, ms(call), ms(ret));
  }

  private static Op unknown(Kind kind, String p, String value, long expected, long call) {
    return new Op(p, "k", kind, value, expected, Outcome.UNKNOWN, 504, 0, ms(call), 0);
  }

  private static Op ok(
      String p,
      Kind kind,
      String value,
      long expected,
      int status,
      long revision,
      long call,
      long ret) {
    return new Op(p, "k", kind, value, expected, Outcome.OK, status, revision, ms(call), ms(ret));
  }

  private static long ms(long millis) {
    return millis * 1_000_000;
  }
}
