package io.meridian.replication;

import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Sends peer messages over the clustered Vert.x event bus, fire and forget. When {@code faults} are
 * configured it also delays and drops messages between regions — latency injection for tests and
 * demos on machines whose kernel has no netem.
 */
final class EventBusTransport implements Transport {
  private final Vertx vertx;
  private final String self;
  private final String selfRegion;
  private final MeridianConfig.Faults faults;
  private final Function<String, Optional<String>> regionOf;
  private final SplittableRandom random = new SplittableRandom();

  EventBusTransport(
      Vertx vertx,
      String self,
      String selfRegion,
      MeridianConfig.Faults faults,
      Function<String, Optional<String>> regionOf) {
    this.vertx = vertx;
    this.self = self;
    this.selfRegion = selfRegion;
    this.faults = faults;
    this.regionOf = regionOf;
  }

  @Override
  public void send(String toNodeId, PeerMessage message) {
    Buffer body = Buffer.buffer(PeerCodec.encode(self, message));
    String address = Addresses.peer(toNodeId);
    if (!faults.any()) {
      vertx.eventBus().send(address, body);
      return;
    }
    String region = regionOf.apply(toNodeId).orElse(selfRegion);
    if (region.equals(selfRegion)) {
      vertx.eventBus().send(address, body);
      return;
    }
    if (random.nextDouble() < faults.loss(selfRegion, region)) {
      return;
    }
    long delay = faults.delayMillis(selfRegion, region);
    if (delay <= 0) {
      vertx.eventBus().send(address, body);
    } else {
      vertx.setTimer(delay, fired -> vertx.eventBus().send(address, body));
    }
  }
}
