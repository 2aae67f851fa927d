package io.meridian.replication;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Builds a clustered Vert.x whose membership is Hazelcast, configured in code: TCP-IP join on the
 * configured seeds only (no multicast, no auto-detection), bound to {@code cluster.host}, this
 * node's id, region and HTTP address published as member attributes, failure and split-brain merge
 * timings from the config (Hazelcast's defaults wait minutes).
 */
public final class HazelcastCluster {
  public static final String ID_ATTRIBUTE = "meridian.id";
  public static final String REGION_ATTRIBUTE = "meridian.region";

  /** This node's Raft (Ratis) address, {@code cluster.host:raft.port}, for strong keys. */
  public static final String RAFT_ATTRIBUTE = "meridian.raft";

  static final String HTTP_ATTRIBUTE = "meridian.http";

  private HazelcastCluster() {}

  /** A clustered Vert.x and the Hazelcast membership it joined. */
  public record Joined(Vertx vertx, HazelcastClusterManager membership) {}

  public static Future<Joined> start(
      MeridianConfig config, VertxOptions options, VertxMetricsFactory metrics) {
    MeridianConfig.Cluster cluster = config.cluster();
    options
        .getEventBusOptions()
        .setHost(cluster.host())
        .setPort(cluster.busPort())
        .setClusterPublicHost(cluster.host())
        .setConnectTimeout(2_000)
        // A connection that went silent (a partition) is found dead in seconds, not Vert.x's
        // default 40 s, so messages stop vanishing into it soon after the network heals.
        .setClusterPingInterval(2_000)
        .setClusterPingReplyInterval(2_000);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(config));
    return Vertx.builder()
        .with(options)
        .withMetrics(metrics)
        .withClusterManager(manager)
        .buildClustered()
        .map(vertx -> new Joined(vertx, manager));
  }

  /**
   * Refuses to go on as a member whose node id an older member already has (a copy-pasted config, a
   * second cluster started on overlapping ports). Hazelcast admits any member, and everything above
   * it knows members by node id: a second "n3" would take over the first's place in every peer's
   * view, its event-bus address and its Raft votes. The younger of the two leaves, so the cluster
   * keeps the node it had. A node restarted on its old membership address replaces its previous
   * incarnation (Hazelcast removes that one), so it is not refused.
   *
   * @throws ConfigException naming {@code node.id}
   */
  public static void requireUniqueId(HazelcastClusterManager manager, MeridianConfig config) {
    String id = config.node().id();
    Member self = manager.getHazelcastInstance().getCluster().getLocalMember();
    // Oldest first: a member listed before this one joined before it.
    for (Member member : manager.getHazelcastInstance().getCluster().getMembers()) {
      if (member.getUuid().equals(self.getUuid())) {
        return;
      }
      if (id.equals(member.getAttribute(ID_ATTRIBUTE))
          && !member.getAddress().equals(self.getAddress())) {
        throw new ConfigException(
            "node.id",
            "'"
                + id
                + "' is already the id of the member at "
                + member.getAddress()
                + " (HTTP "
                + member.getAttribute(HTTP_ATTRIBUTE)
                + "); every node needs an id of its own");
      }
    }
  }

  static Config hazelcastConfig(MeridianConfig config) {
    MeridianConfig.Cluster cluster = config.cluster();
    Config hazelcast = new Config();
    hazelcast.setClusterName("meridian");
    hazelcast.setProperty("hazelcast.phone.home.enabled", "false");
    hazelcast.setProperty("hazelcast.shutdownhook.enabled", "false");
    hazelcast.setProperty("hazelcast.wait.seconds.before.join", "0");
    hazelcast.setProperty("hazelcast.logging.type", "slf4j");
    hazelcast.setProperty("hazelcast.health.monitoring.level", "OFF");
    hazelcast.setProperty("hazelcast.local.localAddress", cluster.host());
    // Listen on cluster.host only, as every other port does (Hazelcast binds all interfaces
    // by default, whatever address it advertises).
    hazelcast.setProperty("hazelcast.socket.bind.any", "false");
    hazelcast.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hazelcast.setProperty("hazelcast.max.no.heartbeat.seconds", seconds(cluster.memberTimeoutMs()));
    hazelcast.setProperty(
        "hazelcast.merge.first.run.delay.seconds", seconds(cluster.mergeDelayMs()));
    hazelcast.setProperty(
        "hazelcast.merge.next.run.delay.seconds", seconds(cluster.mergeDelayMs()));

    NetworkConfig network = hazelcast.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface(cluster.host());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.seeds());

    hazelcast
        .getMemberAttributeConfig()
        .setAttribute(ID_ATTRIBUTE, config.node().id())
        .setAttribute(REGION_ATTRIBUTE, config.node().region())
        .setAttribute(HTTP_ATTRIBUTE, config.http().host() + ":" + config.http().port())
        .setAttribute(RAFT_ATTRIBUTE, config.cluster().host() + ":" + config.raft().port());

    // What vertx-hazelcast's default XML declares; a programmatic config must repeat it.
    hazelcast.addMultiMapConfig(
        new MultiMapConfig("__vertx.subs")
            .setBackupCount(1)
            .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    hazelcast.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    hazelcast.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    return hazelcast;
  }

  private static String seconds(long millis) {
    return Long.toString(Math.max(1, (millis + 999) / 1000));
  }
}
