package io.meridian.replication;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * What every protocol component of a node shares: its id, the transport, the clock, and the
 * executor of the node's protocol context. All protocol state is touched only from that context;
 * {@link #onNode} brings the completion of storage futures (which finish on storage threads) back
 * onto it. In simulations the executor is the simulator's event queue and the clock is simulated.
 */
record NodeRuntime(String self, Transport transport, LongSupplier clock, Executor executor) {

  long now() {
    return clock.getAsLong();
  }

  void send(String to, PeerMessage message) {
    transport.send(to, message);
  }

  /** A future that completes on the protocol context when {@code future} completes. */
  <T> Future<T> onNode(CompletableFuture<T> future) {
    Promise<T> promise = Promise.promise();
    future.whenComplete(
        (value, failure) ->
            executor.execute(
                () -> {
                  if (failure == null) {
                    promise.complete(value);
                  } else {
                    promise.fail(unwrap(failure));
                  }
                }));
    return promise.future();
  }

  static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }
}
