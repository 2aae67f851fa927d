package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.crdt.Crdt;
import io.meridian.crdt.CrdtCodec;
import io.meridian.crdt.LwwRegister;
import io.meridian.crdt.OrSet;
import io.meridian.crdt.PnCounter;
import io.meridian.replication.Coordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * {@code GET ...?explain=true}: instead of the value, every reachable replica's version of the key
 * in every region — an LWW timestamp and writer, a counter's per-replica entries, a set's causal
 * context — with a hash of its encoding, and whether they are all equal. This is how an operator
 * watches a partitioned region catch up.
 */
final class Explanations {
  private Explanations() {}

  static void respond(RoutingContext ctx, Coordinator coordinator, DataKey key) {
    coordinator
        .explain(key)
        .onSuccess(
            copies -> {
              ctx.response().putHeader(Problems.REPLICAS_HEADER, Responses.replicas(copies));
              ctx.json(toJson(key, copies.value()));
            })
        .onFailure(ctx::fail);
  }

  private static JsonObject toJson(DataKey key, List<Coordinator.ReplicaCopy> copies) {
    JsonArray replicas = new JsonArray();
    Set<Optional<Crdt<?>>> distinct = new HashSet<>();
    for (Coordinator.ReplicaCopy copy : copies) {
      distinct.add(copy.state());
      JsonObject replica =
          new JsonObject()
              .put("node", copy.node())
              .put("region", copy.region())
              .put("present", copy.state().isPresent());
      copy.state()
          .ifPresent(
              state -> {
                byte[] encoded = CrdtCodec.encode(state);
                replica
                    .put("hash", Long.toHexString(MurmurHash3.hash128x64(encoded)[0]))
                    .put("bytes", encoded.length)
                    .put("version", version(state));
              });
      replicas.add(replica);
    }
    return new JsonObject()
        .put("key", key.key())
        .put("keyspace", key.keyspace().pathName())
        .put("equal", distinct.size() <= 1)
        .put("replicas", replicas);
  }

  private static JsonObject version(Crdt<?> state) {
    if (state instanceof LwwRegister register) {
      return new JsonObject()
          .put("timestamp", register.timestamp())
          .put("writer", register.writer().map(Object::toString).orElse(null))
          .put("tombstone", register.isTombstone());
    }
    if (state instanceof PnCounter counter) {
      JsonObject increments = new JsonObject();
      counter
          .increments()
          .entries()
          .forEach((r, n) -> increments.put(r.value(), Long.toUnsignedString(n)));
      JsonObject decrements = new JsonObject();
      counter
          .decrements()
          .entries()
          .forEach((r, n) -> decrements.put(r.value(), Long.toUnsignedString(n)));
      return new JsonObject()
          .put("value", counter.value())
          .put("increments", increments)
          .put("decrements", decrements);
    }
    if (state instanceof OrSet set) {
      return new JsonObject()
          .put("size", set.size())
          .put("context", JsonBodies.contextToken(set.context()));
    }
    return new JsonObject();
  }
}
