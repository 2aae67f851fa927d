package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire formats of commands and replies, batches included. */
class StrongCommandTest {

  @Test
  void aBatchRoundTripsWithEveryKindOfWrite() {
    StrongCommand.Batch batch =
        new StrongCommand.Batch(
            42,
            List.of(
                new StrongCommand.Put(
                    1, "a", new Precondition.RevisionIs(7), "text/plain", "x".getBytes(UTF_8)),
                new StrongCommand.Delete(2, "b", new Precondition.Exists()),
                new StrongCommand.Put(3, "ключ", new Precondition.Absent(), "", new byte[0])));
    StrongCommand decoded = StrongCommand.decode(StrongCommand.encode(batch));
    assertThat(decoded).isInstanceOf(StrongCommand.Batch.class);
    StrongCommand.Batch back = (StrongCommand.Batch) decoded;
    assertThat(back.nonce()).isEqualTo(42);
    assertThat(back.commands()).hasSize(3);
    assertThat(back.commands().get(1)).isEqualTo(batch.commands().get(1));
    StrongCommand.Put first = (StrongCommand.Put) back.commands().get(0);
    assertThat(first.key()).isEqualTo("a");
    assertThat(first.precondition()).isEqualTo(new Precondition.RevisionIs(7));
    assertThat(new String(first.value(), UTF_8)).isEqualTo("x");
    assertThat(((StrongCommand.Put) back.commands().get(2)).key()).isEqualTo("ключ");
    assertThat(StrongCommand.nonceOf(ByteBuffer.wrap(StrongCommand.encode(batch)))).isEqualTo(42);
  }

  @Test
  void aBatchHoldsOneWritePerKeyAndNoReads() {
    StrongCommand.Put a = new StrongCommand.Put(1, "a", new Precondition.None(), "", new byte[0]);
    assertThatThrownBy(() -> new StrongCommand.Batch(1, List.of(a, a)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StrongCommand.Batch(1, List.of(a, new StrongCommand.Get(2, "b"))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBatchOfReadsMayReadOneKeyTwice() {
    StrongCommand.Batch reads =
        new StrongCommand.Batch(
            9, List.of(new StrongCommand.Get(1, "a"), new StrongCommand.Get(2, "a")));
    StrongCommand.Batch back =
        (StrongCommand.Batch) StrongCommand.decode(StrongCommand.encode(reads));
    assertThat(back.reads()).isTrue();
    assertThat(back.commands()).containsExactlyElementsOf(reads.commands());
  }

  @Test
  void aBatchReplyRoundTrips_foundValuesIncluded() {
    StrongReply.Batch replies =
        new StrongReply.Batch(
            List.of(
                new StrongReply.Written(5),
                new StrongReply.Found(3, "application/json", "{}".getBytes(UTF_8)),
                new StrongReply.PreconditionFailed(9),
                new StrongReply.NotFound(),
                new StrongReply.Superseded()));
    StrongReply back = StrongReply.decode(ByteBuffer.wrap(StrongReply.encode(replies)));
    List<StrongReply> list = ((StrongReply.Batch) back).replies();
    assertThat(list).hasSize(5);
    assertThat(list.get(0)).isEqualTo(new StrongReply.Written(5));
    StrongReply.Found found = (StrongReply.Found) list.get(1);
    assertThat(found.contentType()).isEqualTo("application/json");
    assertThat(new String(found.value(), UTF_8)).isEqualTo("{}");
    assertThat(list.subList(2, 5))
        .containsExactly(
            new StrongReply.PreconditionFailed(9),
            new StrongReply.NotFound(),
            new StrongReply.Superseded());
  }

  @Test
  void aTermQuestionAndItsAnswerRoundTrip_withTheRequestsNonce() {
    StrongRequest question = new StrongRequest(7, 0, new StrongCommand.Term(42));
    byte[] encoded = question.encode();
    assertThat(StrongRequest.decode(encoded).command()).isEqualTo(new StrongCommand.Term(42));
    assertThat(StrongRequest.nonceOf(ByteBuffer.wrap(encoded))).isEqualTo(42);
    assertThat(StrongReply.decode(ByteBuffer.wrap(StrongReply.encode(new StrongReply.Term(11)))))
        .isEqualTo(new StrongReply.Term(11));
  }

  @Test
  void aLeaderReadRoundTripsWithItsReads_andCarriesNothingElse() {
    StrongCommand.Batch batch =
        new StrongCommand.Batch(
            3, List.of(new StrongCommand.Get(4, "a"), new StrongCommand.Get(5, "b")));
    for (StrongCommand reads : List.of(new StrongCommand.Get(2, "k"), batch)) {
      StrongCommand.LeaderRead read = new StrongCommand.LeaderRead(9, reads);
      StrongCommand back = StrongCommand.decode(StrongCommand.encode(read));
      assertThat(back).isEqualTo(read);
    }
    assertThatThrownBy(
            () ->
                new StrongCommand.LeaderRead(
                    1,
                    new StrongCommand.Put(
                        2, "k", Precondition.none(), "text/plain", "v".getBytes(UTF_8))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
