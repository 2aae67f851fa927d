package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A client's session: what it decides, what it forgets, and its stored form. */
class ClientSessionTest {

  @Test
  void aWriteIsDecidedOnceApplied_andForgottenOnceItsClientFinishedIt() {
    ClientSession session = new ClientSession();
    assertThat(session.decided(5)).isEmpty();
    session.applied(5, new StrongReply.Written(3));
    session.applied(6, new StrongReply.PreconditionFailed(3));
    assertThat(session.decided(5)).contains(new StrongReply.Written(3));

    session.finishedBelow(6);

    assertThat(session.remembered()).isEqualTo(1);
    assertThat(session.decided(5)).contains(new StrongReply.Superseded());
    assertThat(session.decided(6)).contains(new StrongReply.PreconditionFailed(3));
    assertThat(session.decided(7)).isEmpty();
    // A request stamped earlier than one already seen moves nothing back.
    session.finishedBelow(2);
    assertThat(session.decided(5)).contains(new StrongReply.Superseded());
  }

  @Test
  void roundTripsThroughItsStoredForm() {
    ClientSession session = new ClientSession();
    session.finishedBelow(10);
    session.applied(10, new StrongReply.Written(41));
    session.applied(12, new StrongReply.NotFound());

    ClientSession back = ClientSession.decode(session.encode());

    assertThat(back.remembered()).isEqualTo(2);
    assertThat(back.decided(9)).contains(new StrongReply.Superseded());
    assertThat(back.decided(10)).contains(new StrongReply.Written(41));
    assertThat(back.decided(11)).isEmpty();
    assertThat(back.decided(12)).contains(new StrongReply.NotFound());
    assertThat(ClientSession.decode(new ClientSession().encode()).decided(Long.MIN_VALUE))
        .isEmpty();
  }
}
