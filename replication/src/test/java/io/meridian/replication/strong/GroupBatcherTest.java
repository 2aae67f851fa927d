package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher against a hand-driven group: what leaves when, in which batches, with what replies.
 */
class GroupBatcherTest {
  private static final long DEADLINE = 1_000_000;

  private record Sent(StrongCommand command, long deadline, CompletableFuture<StrongReply> reply) {}

  private final List<Sent> sent = new ArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private final AtomicLong nonces = new AtomicLong(1_000);
  private final TripTally tally = new TripTally();
  private final GroupBatcher batcher = recording(true);
  private final ScheduledExecutorService leases = Executors.newSingleThreadScheduledExecutor();
  private long nonce;

  @AfterEach
  void stopLeases() {
    leases.shutdownNow();
  }

  @Test
  void aLoneWriteLeavesAtOnceAsItself() throws Exception {
    StrongCommand.Single write = put("a", 10);
    CompletableFuture<StrongReply> reply = batcher.submit(write, DEADLINE);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).command()).isEqualTo(write);
    sent.get(0).reply().complete(new StrongReply.Written(1));
    assertThat(reply.get()).isEqualTo(new StrongReply.Written(1));
  }

  @Test
  void writesArrivingWhileOneIsInFlightLeaveTogether_eachWithItsOwnReply() throws Exception {
    CompletableFuture<StrongReply> first = batcher.submit(put("a", 10), DEADLINE);
    List<CompletableFuture<StrongReply>> queued = new ArrayList<>();
    for (String key : List.of("b", "c", "d", "e")) {
      queued.add(batcher.submit(put(key, 10), DEADLINE + key.charAt(0)));
    }
    assertThat(sent).as("nothing more leaves while a request is in flight").hasSize(1);

    sent.get(0).reply().complete(new StrongReply.Written(1));
    assertThat(first.get()).isEqualTo(new StrongReply.Written(1));
    assertThat(sent).hasSize(2);
    StrongCommand.Batch batch = (StrongCommand.Batch) sent.get(1).command();
    assertThat(batch.commands())
        .extracting(StrongCommand.Single::key)
        .containsExactly("b", "c", "d");
    assertThat(sent.get(1).deadline())
        .as("the earliest deadline of the batch")
        .isEqualTo(DEADLINE + 'b');

    sent.get(1)
        .reply()
        .complete(
            new StrongReply.Batch(
                List.of(
                    new StrongReply.Written(2),
                    new StrongReply.PreconditionFailed(7),
                    new StrongReply.Written(3))));
    assertThat(queued.get(0).get()).isEqualTo(new StrongReply.Written(2));
    assertThat(queued.get(1).get()).isEqualTo(new StrongReply.PreconditionFailed(7));
    assertThat(queued.get(2).get()).isEqualTo(new StrongReply.Written(3));
    assertThat(sent).as("the one left over goes next, alone").hasSize(3);
    assertThat(sent.get(2).command()).isInstanceOf(StrongCommand.Put.class);
    sent.get(2).reply().complete(new StrongReply.Written(4));
    assertThat(queued.get(3).get()).isEqualTo(new StrongReply.Written(4));

    batcher.submit(put("f", 10), DEADLINE);
    assertThat(sent).as("idle again: the next write leaves at once").hasSize(4);
    assertThat(tally.trips()).isEqualTo(4);
    assertThat(tally.commands()).as("1 + 3 + 1 + 1").isEqualTo(6);
  }

  @Test
  void writesOfOneKeyLeaveInArrivalOrder_neverTwoInOneBatch() {
    batcher.submit(put("x", 10), DEADLINE);
    batcher.submit(put("k", 1), DEADLINE);
    batcher.submit(put("k", 2), DEADLINE);
    batcher.submit(put("y", 10), DEADLINE);
    sent.get(0).reply().complete(new StrongReply.Written(1));

    StrongCommand.Batch second = (StrongCommand.Batch) sent.get(1).command();
    assertThat(second.commands()).extracting(w -> value(w)).containsExactly("k1", "y10");
    sent.get(1)
        .reply()
        .complete(
            new StrongReply.Batch(List.of(new StrongReply.Written(2), new StrongReply.Written(3))));
    assertThat(value((StrongCommand.Single) sent.get(2).command())).isEqualTo("k2");
  }

  @Test
  void aBatchStaysWithinTheByteLimit_butAWriteAloneAlwaysLeaves() {
    batcher.submit(put("a", 10), DEADLINE);
    batcher.submit(put("big1", 6_000), DEADLINE);
    batcher.submit(put("big2", 6_000), DEADLINE);
    sent.get(0).reply().complete(new StrongReply.Written(1));
    assertThat(sent.get(1).command())
        .as("two would pass 10,000 bytes")
        .isInstanceOf(StrongCommand.Put.class);
    sent.get(1).reply().complete(new StrongReply.Written(2));
    assertThat(((StrongCommand.Single) sent.get(2).command()).key()).isEqualTo("big2");
  }

  @Test
  void aFailedRequestFailsEveryWriteInIt_andTheQueueMovesOn() {
    batcher.submit(put("a", 10), DEADLINE);
    CompletableFuture<StrongReply> b = batcher.submit(put("b", 10), DEADLINE);
    CompletableFuture<StrongReply> c = batcher.submit(put("c", 10), DEADLINE);
    sent.get(0).reply().complete(new StrongReply.Written(1));
    StrongKeyException timeout = StrongKeyException.timeout("planted");
    sent.get(1).reply().completeExceptionally(timeout);
    assertThat(b).isCompletedExceptionally();
    assertThat(c).isCompletedExceptionally();
    assertThat(cause(b)).isSameAs(timeout);
    CompletableFuture<StrongReply> d = batcher.submit(put("d", 10), DEADLINE);
    assertThat(sent).hasSize(3);
    sent.get(2).reply().complete(new StrongReply.Written(2));
    assertThat(d).isCompletedWithValue(new StrongReply.Written(2));
  }

  @Test
  void aWriteWhoseDeadlinePassesWhileWaitingIsNeverSent() {
    batcher.submit(put("a", 10), DEADLINE);
    CompletableFuture<StrongReply> late = batcher.submit(put("late", 10), 500);
    now.set(600);
    sent.get(0).reply().complete(new StrongReply.Written(1));
    assertThat(sent).hasSize(1);
    assertThat(cause(late)).isInstanceOf(StrongKeyException.class);
    assertThat(((StrongKeyException) cause(late)).getMessage()).contains("not sent");
    batcher.submit(put("b", 10), DEADLINE);
    assertThat(sent).as("the group is idle again").hasSize(2);
  }

  @Test
  void aSenderThatThrowsFailsTheWriteAndDoesNotWedgeTheGroup() {
    List<Integer> calls = new ArrayList<>();
    GroupBatcher throwing =
        new GroupBatcher(
            (command, deadline) -> {
              calls.add(1);
              if (calls.size() == 1) {
                throw new IllegalStateException("planted");
              }
              return CompletableFuture.completedFuture(new StrongReply.Written(calls.size()));
            },
            nonces::incrementAndGet,
            now::get,
            Runnable::run,
            TripGate.UNLIMITED,
            new TripTally(),
            true,
            3,
            10_000);
    assertThat(throwing.submit(put("a", 1), DEADLINE)).isCompletedExceptionally();
    assertThat(throwing.submit(put("b", 1), DEADLINE))
        .isCompletedWithValue(new StrongReply.Written(2));
  }

  @Test
  void readsMayShareABatchOnOneKey() {
    GroupBatcher reads = recording(false);
    reads.submit(new StrongCommand.Get(++nonce, "a"), DEADLINE);
    CompletableFuture<StrongReply> second =
        reads.submit(new StrongCommand.Get(++nonce, "k"), DEADLINE);
    CompletableFuture<StrongReply> third =
        reads.submit(new StrongCommand.Get(++nonce, "k"), DEADLINE);
    sent.get(0).reply().complete(new StrongReply.NotFound());
    StrongCommand.Batch batch = (StrongCommand.Batch) sent.get(1).command();
    assertThat(batch.reads()).isTrue();
    assertThat(batch.commands()).extracting(StrongCommand.Single::key).containsExactly("k", "k");
    sent.get(1)
        .reply()
        .complete(
            new StrongReply.Batch(List.of(new StrongReply.NotFound(), new StrongReply.NotFound())));
    assertThat(second).isCompletedWithValue(new StrongReply.NotFound());
    assertThat(third).isCompletedWithValue(new StrongReply.NotFound());
  }

  @Test
  void groupsSharingOneTripInFlight_takeTurns_andEachTurnCarriesAllThatGatheredMeanwhile()
      throws Exception {
    TripGate oneTrip = new TripGate(1, Duration.ofHours(1), leases, now::get);
    GroupBatcher left = recording(true, oneTrip);
    GroupBatcher right = recording(true, oneTrip);

    CompletableFuture<StrongReply> first = left.submit(put("a", 1), DEADLINE);
    right.submit(put("r1", 1), DEADLINE);
    left.submit(put("b", 1), DEADLINE);
    right.submit(put("r2", 1), DEADLINE);
    assertThat(sent).as("one trip in flight over both groups").hasSize(1);

    sent.get(0).reply().complete(new StrongReply.Written(1));
    assertThat(first.get()).isEqualTo(new StrongReply.Written(1));
    assertThat(sent).as("the group that waited first goes next, with all it gathered").hasSize(2);
    assertThat(((StrongCommand.Batch) sent.get(1).command()).commands())
        .extracting(StrongCommand.Single::key)
        .containsExactly("r1", "r2");

    sent.get(1).reply().complete(new StrongReply.Batch(List.of(written(2), written(3))));
    assertThat(sent).hasSize(3);
    assertThat(sent.get(2).command()).isInstanceOf(StrongCommand.Put.class);
    assertThat(value((StrongCommand.Single) sent.get(2).command())).isEqualTo("b1");
    sent.get(2).reply().complete(written(4));

    right.submit(put("r3", 1), DEADLINE);
    assertThat(sent).as("the trips are all back: the next leaves at once").hasSize(4);
  }

  private static StrongReply written(long revision) {
    return new StrongReply.Written(revision);
  }

  private GroupBatcher recording(boolean onePerKey) {
    return recording(onePerKey, TripGate.UNLIMITED);
  }

  /** A batcher of at most 3 commands or 10,000 bytes whose sends are recorded in {@link #sent}. */
  private GroupBatcher recording(boolean onePerKey, TripGate trips) {
    return new GroupBatcher(
        (command, deadline) -> {
          CompletableFuture<StrongReply> reply = new CompletableFuture<>();
          sent.add(new Sent(command, deadline, reply));
          return reply;
        },
        nonces::incrementAndGet,
        now::get,
        Runnable::run,
        trips,
        tally,
        onePerKey,
        3,
        10_000);
  }

  private StrongCommand.Single put(String key, int size) {
    byte[] value = (key + size).getBytes(UTF_8);
    if (size > 100) {
      value = new byte[size];
    }
    return new StrongCommand.Put(++nonce, key, new Precondition.None(), "text/plain", value);
  }

  private static String value(StrongCommand.Single write) {
    return new String(((StrongCommand.Put) write).value(), UTF_8);
  }

  private static Throwable cause(CompletableFuture<?> future) {
    try {
      future.get();
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
