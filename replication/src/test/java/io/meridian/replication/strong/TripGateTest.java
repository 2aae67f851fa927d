package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The places among trips in flight: who gets one at once, who waits, and in which order. */
class TripGateTest {
  private static final Duration LEASE = Duration.ofSeconds(1);

  private final AtomicLong now = new AtomicLong();
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private final List<String> granted = new ArrayList<>();

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void withoutALimit_everyTripLeavesAtOnce() {
    for (int i = 0; i < 100; i++) {
      assertThat(TripGate.UNLIMITED.enter(slot -> granted.add("late"))).isNotNull();
    }
    assertThat(granted).isEmpty();
  }

  @Test
  void tripsBeyondTheSlotsWait_andGetAFreedSlotInArrivalOrder() {
    TripGate gate = new TripGate(2, LEASE, timer, now::get);
    TripGate.Slot first = gate.enter(slot -> granted.add("first"));
    TripGate.Slot second = gate.enter(slot -> granted.add("second"));
    assertThat(first).isNotNull();
    assertThat(second).isNotNull();

    List<TripGate.Slot> handed = new ArrayList<>();
    assertThat(gate.enter(slot -> handed.add(slot))).isNull();
    assertThat(gate.enter(slot -> granted.add("fourth"))).isNull();
    assertThat(gate.waiting()).isEqualTo(2);

    second.release();
    assertThat(handed).as("the first to wait gets the freed slot").hasSize(1);
    assertThat(granted).isEmpty();
    second.release();
    assertThat(granted).as("a second release of one slot frees nothing more").isEmpty();

    handed.get(0).release();
    assertThat(granted).containsExactly("fourth");
    assertThat(gate.waiting()).isZero();
  }

  @Test
  void whileOthersWait_aNewcomerQueuesBehindThem_andAFreedSlotGoesToTheFirst() {
    TripGate gate = new TripGate(1, LEASE, timer, now::get);
    TripGate.Slot only = gate.enter(slot -> granted.add("only"));
    assertThat(gate.enter(slot -> granted.add("waiting"))).isNull();
    now.addAndGet(LEASE.toNanos()); // the lease of the one in flight ran out
    assertThat(gate.enter(slot -> granted.add("newcomer"))).as("others wait before it").isNull();

    only.release();
    assertThat(granted).as("one slot, to the first that waited").containsExactly("waiting");
    assertThat(gate.waiting()).isEqualTo(1);
  }

  @Test
  void aTripThatOutlastsItsLease_givesUpItsSlot_toTheNextThatAsks() {
    TripGate gate = new TripGate(1, LEASE, timer, now::get);
    assertThat(gate.enter(slot -> granted.add("stuck"))).isNotNull();
    now.addAndGet(LEASE.toNanos());
    assertThat(gate.enter(slot -> granted.add("next"))).isNotNull();
    assertThat(granted).isEmpty();
  }

  @Test
  void aWaitingTripGetsTheSlotOfOneThatOutlastsItsLease_withoutAnyoneReleasingIt()
      throws Exception {
    TripGate gate = new TripGate(1, Duration.ofMillis(20), timer, System::nanoTime);
    assertThat(gate.enter(slot -> {})).isNotNull(); // never released: a group that cannot answer
    CompletableFuture<TripGate.Slot> waiter = new CompletableFuture<>();
    assertThat(gate.enter(waiter::complete)).isNull();

    assertThat(waiter.get(30, TimeUnit.SECONDS)).isNotNull();
    assertThat(gate.waiting()).isZero();
  }
}
