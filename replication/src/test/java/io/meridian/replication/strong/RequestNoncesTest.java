package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestNoncesTest {
  private final RequestNonces nonces = new RequestNonces();

  @Test
  void aClientHasFinishedBelowItsLowestOpenWrite() {
    assertThat(nonces.finishedBelow()).isEqualTo(1);
    long first = nonces.open();
    long batch = nonces.next();
    long second = nonces.open();
    assertThat(nonces.finishedBelow()).isEqualTo(first);

    nonces.finish(second);
    assertThat(nonces.finishedBelow()).isEqualTo(first);
    nonces.finish(first);

    assertThat(nonces.finishedBelow()).isGreaterThan(second).isGreaterThan(batch);
    assertThat(nonces.open()).isEqualTo(nonces.finishedBelow());
  }
}
