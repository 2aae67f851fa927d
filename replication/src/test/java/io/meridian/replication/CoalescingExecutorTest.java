package io.meridian.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CoalescingExecutorTest {

  @Test
  void tasksQueuedBeforeTheDelegateRunsShareOneHandOver() {
    List<Runnable> handedOver = new ArrayList<>();
    CoalescingExecutor executor = new CoalescingExecutor(handedOver::add);
    List<Integer> ran = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      executor.execute(() -> ran.add(n));
    }
    assertThat(handedOver).hasSize(1);
    handedOver.get(0).run();
    assertThat(ran).containsExactlyElementsOf(IntStream.range(0, 20).boxed().toList());

    executor.execute(() -> ran.add(20));
    assertThat(handedOver).as("a task after the drain needs a new hand-over").hasSize(2);
    handedOver.get(1).run();
    assertThat(ran).endsWith(20);
  }

  @Test
  void aFailingTaskDoesNotStopTheOnesAfterIt() {
    List<String> ran = new ArrayList<>();
    CoalescingExecutor executor = new CoalescingExecutor(Runnable::run);
    executor.execute(
        () -> {
          throw new IllegalStateException("planted");
        });
    executor.execute(() -> ran.add("after"));
    assertThat(ran).containsExactly("after");
  }

  @Test
  void aRefusedHandOverDoesNotWedgeTheExecutor() {
    List<Runnable> handedOver = new ArrayList<>();
    AtomicInteger refusals = new AtomicInteger(1);
    CoalescingExecutor executor =
        new CoalescingExecutor(
            task -> {
              if (refusals.getAndDecrement() > 0) {
                throw new java.util.concurrent.RejectedExecutionException("planted");
              }
              handedOver.add(task);
            });
    try {
      executor.execute(() -> {});
    } catch (java.util.concurrent.RejectedExecutionException expected) {
      // the caller learns of it
    }
    executor.execute(() -> {});
    assertThat(handedOver).hasSize(1);
  }

  @Test
  void everyTaskFromManyThreadsRunsExactlyOnceAndNeverTwoAtATime() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CoalescingExecutor executor = new CoalescingExecutor(pool);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    ConcurrentLinkedQueue<Integer> ran = new ConcurrentLinkedQueue<>();
    int producers = 4;
    int perProducer = 20_000;
    CountDownLatch done = new CountDownLatch(producers * perProducer);
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      int base = p * perProducer;
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; i < perProducer; i++) {
                  int id = base + i;
                  executor.execute(
                      () -> {
                        if (running.incrementAndGet() > 1) {
                          overlaps.incrementAndGet();
                        }
                        ran.add(id);
                        running.decrementAndGet();
                        done.countDown();
                      });
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    pool.shutdown();
    assertThat(overlaps).hasValue(0);
    assertThat(ran).hasSize(producers * perProducer).doesNotHaveDuplicates();
  }
}
