package io.meridian.crdt;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class LwwRegisterTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");
  private static final String TEXT = "text/plain";

  private static LwwRegister written(long timestamp, ReplicaId writer, String value) {
    return LwwRegister.empty().write(timestamp, writer, value.getBytes(UTF_8), TEXT).state();
  }

  @Test
  void empty_isTheJoinIdentity() {
    LwwRegister empty = LwwRegister.empty();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(empty.hasValue()).isFalse();
    assertThat(empty.timestamp()).isZero();
    assertThat(empty.writer()).isEmpty();
    assertThat(empty.value()).isEmpty();
    assertThat(empty.contentType()).isEmpty();
    LwwRegister register = written(1, A, "x");
    assertThat(empty.join(register)).isSameAs(register);
    assertThat(register.join(empty)).isSameAs(register);
  }

  @Test
  void write_storesValueStampAndContentType() {
    LwwRegister register = written(7, A, "hello");
    assertThat(register.timestamp()).isEqualTo(7);
    assertThat(register.writer()).contains(A);
    assertThat(new String(register.value(), UTF_8)).isEqualTo("hello");
    assertThat(register.valueLength()).isEqualTo(5);
    assertThat(register.contentType()).isEqualTo(TEXT);
    assertThat(register.hasValue()).isTrue();
    assertThat(register.isTombstone()).isFalse();
  }

  @Test
  void write_higherTimestamp_wins() {
    LwwRegister old = written(5, B, "old");
    Mutation<LwwRegister> mutation = old.write(6, A, "new".getBytes(UTF_8), TEXT);
    assertThat(new String(mutation.state().value(), UTF_8)).isEqualTo("new");
    assertThat(mutation.delta()).isEqualTo(mutation.state());
  }

  @Test
  void write_lowerTimestamp_keepsStateButReturnsWrittenDelta() {
    LwwRegister current = written(9, A, "current");
    Mutation<LwwRegister> mutation = current.write(3, B, "late".getBytes(UTF_8), TEXT);
    assertThat(mutation.state()).isSameAs(current);
    assertThat(new String(mutation.delta().value(), UTF_8)).isEqualTo("late");
    assertThat(current.join(mutation.delta())).isEqualTo(mutation.state());
  }

  @Test
  void join_equalTimestamps_higherWriterWins() {
    LwwRegister fromA = written(4, A, "a");
    LwwRegister fromB = written(4, B, "b");
    assertThat(fromA.join(fromB)).isSameAs(fromB);
    assertThat(fromB.join(fromA)).isSameAs(fromB);
  }

  @Test
  void join_equalStampDifferentPayloads_isDeterministicAndCommutative() {
    LwwRegister one = written(4, A, "one");
    LwwRegister two = written(4, A, "two");
    LwwRegister signed = LwwRegister.empty().write(4, A, new byte[] {(byte) 0x80}, TEXT).state();
    LwwRegister otherType = LwwRegister.empty().write(4, A, "two".getBytes(UTF_8), "x").state();
    assertThat(one.join(two)).isEqualTo(two.join(one)).isEqualTo(two);
    // Bytes compare unsigned: 0x80 is above 't'.
    assertThat(two.join(signed)).isEqualTo(signed.join(two)).isEqualTo(signed);
    assertThat(two.join(otherType)).isEqualTo(otherType.join(two)).isEqualTo(otherType);
  }

  @Test
  void delete_writesTombstoneWithoutValue() {
    Mutation<LwwRegister> mutation = written(1, A, "x").delete(2, B);
    LwwRegister deleted = mutation.state();
    assertThat(deleted.isTombstone()).isTrue();
    assertThat(deleted.hasValue()).isFalse();
    assertThat(deleted.isEmpty()).isFalse();
    assertThat(deleted.value()).isEmpty();
    assertThat(deleted.contentType()).isEmpty();
    assertThat(deleted.writer()).contains(B);
    assertThat(deleted.timestamp()).isEqualTo(2);
  }

  @Test
  void delete_olderThanWrite_losesToTheWrite() {
    LwwRegister register = written(10, A, "stays");
    assertThat(register.delete(9, B).state()).isSameAs(register);
    LwwRegister rewritten = register.delete(11, B).state().write(12, A, new byte[0], TEXT).state();
    assertThat(rewritten.hasValue()).isTrue();
  }

  @Test
  void join_equalStampTombstoneAndValue_tombstoneWins() {
    LwwRegister value = written(3, A, "x");
    LwwRegister tombstone = LwwRegister.empty().delete(3, A).state();
    assertThat(value.join(tombstone)).isSameAs(tombstone);
    assertThat(tombstone.join(value)).isSameAs(tombstone);
  }

  @Test
  void value_isDefensivelyCopied() {
    byte[] input = {1, 2, 3};
    LwwRegister register = LwwRegister.empty().write(1, A, input, TEXT).state();
    input[0] = 9;
    register.value()[1] = 9;
    assertThat(register.value()).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> register.valueBuffer().put((byte) 0))
        .isInstanceOf(ReadOnlyBufferException.class);
    assertThat(register.valueBuffer().remaining()).isEqualTo(3);
  }

  @Test
  void write_invalidArguments_areRejected() {
    LwwRegister empty = LwwRegister.empty();
    assertThatThrownBy(() -> empty.write(0, A, new byte[0], TEXT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> empty.delete(-5, A)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> empty.write(1, A, new byte[0], "bad\uDC00"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> empty.write(1, null, new byte[0], TEXT))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void equals_isByValue() {
    LwwRegister one = written(2, A, "v");
    LwwRegister same = written(2, A, "v");
    assertThat(one).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(one).isNotEqualTo(written(2, A, "w"));
    assertThat(one)
        .hasToString("LwwRegister{timestamp=2, writer=a, contentType=text/plain, valueBytes=1}");
  }
}
