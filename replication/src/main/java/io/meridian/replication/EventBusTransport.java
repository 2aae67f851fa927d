package io.meridian.replication;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;

/** Sends peer messages over the clustered Vert.x event bus, fire and forget. */
final class EventBusTransport implements Transport {
  private final EventBus eventBus;
  private final String self;

  EventBusTransport(EventBus eventBus, String self) {
    this.eventBus = eventBus;
    this.self = self;
  }

  @Override
  public void send(String toNodeId, PeerMessage message) {
    eventBus.send(Addresses.peer(toNodeId), Buffer.buffer(PeerCodec.encode(self, message)));
  }
}
