package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

/**
 * A confirmed read, with the division and the other voters played by hand: a leader answers reads
 * only when a follower reports the leader's own term, and then only after its replica has applied
 * the commit index noted before the question; a node that does not lead sends its reads to the
 * leader.
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
  private final List<StrongCommand> queries = new ArrayList<>();
  private final AtomicLong nonces = new AtomicLong();

  @Test
  void aFollowerInTheLeadersTerm_confirms_andTheReadWaitsForTheNotedCommitIndex() throws Exception {
    LeaderReads reads = leaderOfTerm(5, 42, answering(term(5)));

    assertThat(read(reads)).hasValue(FOUND);
    assertThat(readIndices).containsExactly(42L);
    assertThat(queries).singleElement().isInstanceOf(StrongCommand.Term.class);
    assertThat(reads.confirmed()).isEqualTo(1);
  }

  @Test
  void aFollowerInALaterTerm_confirmsNothing_andNothingIsRead() throws Exception {
    // A paused leader, resumed after the others elected a new one, still calls itself leader.
    LeaderReads reads = leaderOfTerm(5, 42, answering(term(6)));

    assertThat(read(reads)).isEmpty();
    assertThat(readIndices).isEmpty();
    assertThat(reads.confirmed()).isZero();
  }

  @Test
  void aFollowerThatDoesNotAnswer_confirmsNothing_andTheNextReadAsksTheOther() throws Exception {
    LeaderReads reads = leaderOfTerm(5, 42, answering(Optional.empty(), term(5)));

    assertThat(read(reads)).isEmpty();
    assertThat(read(reads)).hasValue(FOUND);
    assertThat(read(reads)).hasValue(FOUND);
    assertThat(asked).containsExactly("n2", "n3", "n3");
    assertThat(readIndices).containsExactly(42L, 42L);
  }

  @Test
  void theOnlyVoterOfItsGroup_isAMajorityByItself_andAsksNoOne() throws Exception {
    Placement.Group alone =
        new Placement.Group(0, UUID.randomUUID(), List.of(new RaftMember("n1", "r1", "a:1")));
    LeaderReads reads = leaderOfTerm(5, 42, answering(term(4)));

    assertThat(
            reads
                .read(alone, null, READ, System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
                .get(10, TimeUnit.SECONDS))
        .hasValue(FOUND);
    assertThat(asked).isEmpty();
    assertThat(readIndices).containsExactly(42L);
  }

  @Test
  void aNodeThatDoesNotLead_asksNoOne() throws Exception {
    LeaderReads reads = notLeading(answering(term(5)));

    assertThat(read(reads)).isEmpty();
    assertThat(asked).isEmpty();
  }

  @Test
  void readsForwarded_goToTheLeaderTheClientKnows_asALeaderRead() throws Exception {
    LeaderReads reads = notLeading(answering(Optional.of(FOUND)));

    assertThat(reads.forward(null, RaftPeerId.valueOf("n3"), READ).get(10, TimeUnit.SECONDS))
        .hasValue(FOUND);
    assertThat(asked).containsExactly("n3");
    StrongCommand.LeaderRead sent = (StrongCommand.LeaderRead) queries.get(0);
    assertThat(sent.reads()).isEqualTo(READ);
  }

  @Test
  void readsAreNotForwarded_toThisNode_orWhenNoLeaderIsKnown() throws Exception {
    LeaderReads reads = notLeading(answering(Optional.of(FOUND)));

    assertThat(reads.forward(null, RaftPeerId.valueOf("n1"), READ).get(10, TimeUnit.SECONDS))
        .isEmpty();
    assertThat(reads.forward(null, null, READ).get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(asked).isEmpty();
  }

  private LeaderReads leaderOfTerm(long term, long commitIndex, LeaderReads.Queries voters) {
    LeaderReads.Replica replica =
        (index, command) -> {
          assertThat(command).isEqualTo(READ);
          readIndices.add(index);
          return CompletableFuture.completedFuture(FOUND);
        };
    return new LeaderReads(
        "n1",
        group -> Optional.of(new LeaderReads.Leadership(term, commitIndex, replica)),
        voters,
        nonces::incrementAndGet,
        Duration.ofSeconds(1));
  }

  private LeaderReads notLeading(LeaderReads.Queries voters) {
    return new LeaderReads(
        "n1", group -> Optional.empty(), voters, nonces::incrementAndGet, Duration.ofSeconds(1));
  }

  /** Voters (whichever is asked) answering each query in turn, the last answer from then on. */
  @SafeVarargs
  private LeaderReads.Queries answering(Optional<StrongReply>... answers) {
    return (voter, client, query, timeout) -> {
      asked.add(voter.toString());
      queries.add(query);
      return CompletableFuture.completedFuture(answers[Math.min(asked.size(), answers.length) - 1]);
    };
  }

  private static Optional<StrongReply> term(long term) {
    return Optional.of(new StrongReply.Term(term));
  }

  private static Optional<StrongReply> read(LeaderReads reads) throws Exception {
    return reads
        .read(GROUP, null, READ, System.nanoTime() + TimeUnit.SECONDS.toNanos(10))
        .get(10, TimeUnit.SECONDS);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
