package io.meridian.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OpMixTest {
  @Test
  void parse_zeroWeights_areKeptButNeverDrawn() {
    OpMix mix = OpMix.parse("counter-incr=1,set-add=0,key-put=0,key-get=0,hello=0");
    var random = new SplittableRandom(1);

    assertThat(mix.weights()).containsEntry(Op.COUNTER_INCR, 1).containsEntry(Op.HELLO, 0);
    for (int i = 0; i < 1_000; i++) {
      assertThat(mix.next(random)).isEqualTo(Op.COUNTER_INCR);
    }
  }

  @Test
  void next_followsWeights() {
    OpMix mix = OpMix.parse("counter-incr=3, key-get=1");
    var random = new SplittableRandom(1);
    var counts = new EnumMap<Op, Integer>(Op.class);

    for (int i = 0; i < 100_000; i++) {
      counts.merge(mix.next(random), 1, Integer::sum);
    }

    assertThat(counts).containsOnlyKeys(Op.COUNTER_INCR, Op.KEY_GET);
    assertThat(counts.get(Op.COUNTER_INCR)).isBetween(74_000, 76_000);
  }

  @Test
  void toString_roundTrips() {
    OpMix mix = OpMix.parse("key-get=2,key-put=1");

    assertThat(OpMix.parse(mix.toString()).weights()).isEqualTo(mix.weights());
  }

  @Test
  void parse_unknownOp_namesItAndTheKnownOps() {
    assertThatThrownBy(() -> OpMix.parse("counter-incr=1,counter-decr=1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'counter-decr'")
        .hasMessageContaining("counter-incr, set-add, key-put, key-get, hello");
  }

  @Test
  void parse_badWeight_isRejected() {
    assertThatThrownBy(() -> OpMix.parse("key-get=-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight of 'key-get'")
        .hasMessageContaining("'-1'");
    assertThatThrownBy(() -> OpMix.parse("key-get=half"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'half'");
    assertThatThrownBy(() -> OpMix.parse("key-get=2000000"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parse_malformedEntry_isRejected() {
    assertThatThrownBy(() -> OpMix.parse("key-get"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'key-get' is not name=weight");
    assertThatThrownBy(() -> OpMix.parse("key-get=1,"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not name=weight");
    assertThatThrownBy(() -> OpMix.parse("=1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OpMix.parse(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty mix");
  }

  @Test
  void parse_duplicateOp_isRejected() {
    assertThatThrownBy(() -> OpMix.parse("hello=1,hello=2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'hello' appears twice");
  }

  @Test
  void parse_allZero_isRejected() {
    assertThatThrownBy(() -> OpMix.parse("hello=0,key-get=0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive weight");
  }
}
