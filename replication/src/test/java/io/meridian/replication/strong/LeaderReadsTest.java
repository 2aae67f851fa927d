package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The leader's side of a confirmed read, with the division and the follower played by hand: a read
 * is answered only when a follower reports the leader's own term, and then only after the leader's
 * replica has applied the commit index noted before the question.
 */
class LeaderReadsTest {
  private static final Placement.Group GROUP =
      new Placement.Group(
          0,
          UUID.randomUUID(),
          List.of(
              new RaftMember("n1", "r1", "127.0.0.1:1"),
              new RaftMember("n2", "r2", "127.0.0.1:2"),
              new RaftMember("n3", "r3", "127.0.0.1:3")));
  private static final StrongCommand READ = new StrongCommand.Get(1, "k");
  private static final StrongReply FOUND = new StrongReply.Found(3, "text/plain", bytes("v"));

  private final List<Long> readIndices = new ArrayList<>();
  private final List<String> asked = new ArrayList<>();

  @Test
  void aFollowerInTheLeadersTerm_confirms_andTheReadWaitsForTheNotedCommitIndex() throws Exception {
    LeaderReads reads = leaderOfTerm(5, 42, answering(OptionalLong.of(5)));

    assertThat(answer(reads)).hasValue(FOUND);
    assertThat(readIndices).containsExactly(42L);
    assertThat(reads.confirmed()).isEqualTo(1);
  }

  @Test
  void aFollowerInALaterTerm_confirmsNothing_andNothingIsRead() throws Exception {
    // A paused leader, resumed after the others elected a new one, still calls itself leader.
    LeaderReads reads = leaderOfTerm(5, 42, answering(OptionalLong.of(6)));

    assertThat(answer(reads)).isEmpty();
    assertThat(readIndices).isEmpty();
    assertThat(reads.confirmed()).isZero();
  }

  @Test
  void aFollowerThatDoesNotAnswer_confirmsNothing_andTheNextReadAsksTheOther() throws Exception {
    LeaderReads reads = leaderOfTerm(5, 42, answering(OptionalLong.empty(), OptionalLong.of(5)));

    assertThat(answer(reads)).isEmpty();
    assertThat(answer(reads)).hasValue(FOUND);
    assertThat(answer(reads)).hasValue(FOUND);
    assertThat(asked).containsExactly("n2", "n3", "n3");
    assertThat(readIndices).containsExactly(42L, 42L);
  }

  @Test
  void aNodeThatDoesNotLead_asksNoOne() throws Exception {
    LeaderReads reads =
        new LeaderReads("n1", group -> Optional.empty(), answering(OptionalLong.of(5)));

    assertThat(answer(reads)).isEmpty();
    assertThat(asked).isEmpty();
  }

  private LeaderReads leaderOfTerm(long term, long commitIndex, LeaderReads.TermQuestion question) {
    LeaderReads.Replica replica =
        (index, command) -> {
          assertThat(command).isEqualTo(READ);
          readIndices.add(index);
          return CompletableFuture.completedFuture(FOUND);
        };
    return new LeaderReads(
        "n1",
        group -> Optional.of(new LeaderReads.Leadership(term, commitIndex, replica)),
        question);
  }

  /** A follower (whichever is asked) answering each question in turn, the last one from then on. */
  private LeaderReads.TermQuestion answering(OptionalLong... answers) {
    return (follower, client) -> {
      asked.add(follower.toString());
      return CompletableFuture.completedFuture(answers[Math.min(asked.size(), answers.length) - 1]);
    };
  }

  private static Optional<StrongReply> answer(LeaderReads reads) throws Exception {
    return reads
        .read(GROUP, null, READ, System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
        .get(10, TimeUnit.SECONDS);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
