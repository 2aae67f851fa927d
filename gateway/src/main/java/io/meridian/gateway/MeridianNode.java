package io.meridian.gateway;

import io.meridian.core.HybridLogicalClock;
import io.meridian.core.LmdbStore;
import io.meridian.core.LocalReplica;
import io.meridian.core.NodeIdentity;
import io.meridian.core.StoreException;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.HazelcastCluster;
import io.meridian.replication.ReplicationVerticle;
import io.meridian.replication.strong.Placement;
import io.meridian.replication.strong.RatisStrongKeys;
import io.meridian.replication.strong.StrongKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds one node from its configuration — storage, identity, clock, Vert.x
 * with metrics and (when seeds are configured) cluster membership, the replication protocol, the
 * HTTP API — and takes it down again in order. Nothing else constructs these parts.
 */
public final class MeridianNode {
  private static final Logger log = LoggerFactory.getLogger(MeridianNode.class);
  private static final long START_TIMEOUT_SECONDS = 120;
  private static final long STOP_TIMEOUT_SECONDS = 30;

  /** How often a start-up wait looks whether it was asked to stop. */
  private static final long CANCEL_CHECK_MILLIS = 100;

  /** The longest start-up waits for strong keys to form before reporting healthy. */
  private static final Duration STRONG_KEYS_WAIT = Duration.ofSeconds(60);

  private final MeridianConfig config;
  private final BooleanSupplier stopRequested;
  private final NodeLifecycle lifecycle = new NodeLifecycle();
  private LmdbStore store;
  private RatisStrongKeys strong;
  private Vertx vertx;
  private String httpDeployment;

  /** What this start-up created under {@code node.dataDir}, if it found none there. */
  private Optional<FreshDataDirectory> freshDataDirectory = Optional.empty();

  /** Whether start-up was refused before the node took part in the cluster (duplicate id). */
  private boolean refusedBeforeTakingPart;

  private MeridianNode(MeridianConfig config, BooleanSupplier stopRequested) {
    this.config = config;
    this.stopRequested = stopRequested;
  }

  /**
   * Starts a node and returns once it is serving.
   *
   * @throws ConfigException when the configuration cannot be used (a port in use, an unusable data
   *     directory, a data directory of another node)
   */
  public static MeridianNode start(MeridianConfig config) {
    return start(config, () -> false);
  }

  /**
   * Starts a node as {@link #start(MeridianConfig)} does, giving up when {@code stopRequested}
   * turns true while it waits (for the cluster, the HTTP servers, the Raft groups' leaders).
   *
   * @throws StartCancelled when it gave up; what had started is stopped
   */
  static MeridianNode start(MeridianConfig config, BooleanSupplier stopRequested) {
    MeridianNode node = new MeridianNode(config, stopRequested);
    try {
      node.startParts();
      return node;
    } catch (RuntimeException | Error e) {
      node.stop();
      if (node.refusedBeforeTakingPart) {
        // Left behind, its store would claim the directory for the refused node id, and a retry
        // with a corrected id would be refused for that.
        node.freshDataDirectory.ifPresent(FreshDataDirectory::discard);
      }
      throw e;
    }
  }

  private void startParts() {
    ListenAddresses.check(config);
    freshDataDirectory = FreshDataDirectory.at(Path.of(config.node().dataDir()));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HybridLogicalClock clock = HybridLogicalClock.system();
    store = openStore(clock, registry);
    NodeIdentity identity = loadIdentity();
    log.info(
        "node {} (replica {}) in region {}, data in {}",
        config.node().id(),
        identity.replicaId(),
        config.node().region(),
        Path.of(config.node().dataDir()).toAbsolutePath().normalize());
    if (config.replication().readsMayBeStale()) {
      log.warn(
          "replication.w + replication.r <= replication.n ({} + {} <= {}): reads may be stale",
          config.replication().w(),
          config.replication().r(),
          config.replication().n());
    }

    LocalReplica replica = new LocalReplica(store, identity.replicaId(), clock);
    // Before joining the membership: a restarted voter takes part in its Raft groups at once.
    strong = RatisStrongKeys.start(config, store);
    strong.bindMetrics(registry);
    Optional<HazelcastClusterManager> membership = startVertx(registry);
    ReplicationVerticle replication =
        new ReplicationVerticle(config, replica, store, registry, membership);
    await(vertx.deployVerticle(replication), Stage.CLUSTER);
    membership.ifPresent(
        joined -> strong.joinCluster(joined.getHazelcastInstance(), config.cluster().seeds()));
    NodeServices services =
        new NodeServices(
            config,
            identity,
            replication.coordinator(),
            replication,
            replication,
            lifecycle,
            registry,
            strong);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    httpDeployment =
        await(
            vertx.deployVerticle(
                () -> new HttpApiVerticle(services),
                new DeploymentOptions().setInstances(instances)),
            Stage.HTTP);
    awaitStrongLeaders(membership);
    lifecycle.transition(NodeLifecycle.State.SERVING);
    log.info("serving HTTP on {}:{}", config.http().host(), config.http().port());
  }

  private LmdbStore openStore(HybridLogicalClock clock, PrometheusMeterRegistry registry) {
    Path dataDir = Path.of(config.node().dataDir());
    if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new ConfigException("node.dataDir", dataDir + " is not a directory");
    }
    try {
      return LmdbStore.open(dataDir, config.storage(), clock, registry);
    } catch (StoreException e) {
      throw new ConfigException("node.dataDir", e.getMessage());
    }
  }

  private NodeIdentity loadIdentity() {
    try {
      return NodeIdentity.loadOrCreate(store, config.node().id(), System.currentTimeMillis());
    } catch (IllegalStateException e) {
      throw new ConfigException("node.id", e.getMessage());
    }
  }

  /**
   * A plain Vert.x for a node running alone, or a clustered one that has joined the membership
   * through the configured seeds.
   */
  private Optional<HazelcastClusterManager> startVertx(PrometheusMeterRegistry registry) {
    MicrometerMetricsFactory metrics = new MicrometerMetricsFactory(registry);
    if (!config.cluster().clustered()) {
      vertx = Vertx.builder().with(vertxOptions()).withMetrics(metrics).build();
      return Optional.empty();
    }
    HazelcastCluster.Joined joined =
        await(HazelcastCluster.start(config, vertxOptions(), metrics), Stage.CLUSTER);
    vertx = joined.vertx();
    try {
      HazelcastCluster.requireUniqueId(joined.membership(), config);
    } catch (ConfigException e) {
      // Before the replication protocol and the Raft groups' placement: no peer has sent it data.
      refusedBeforeTakingPart = true;
      throw e;
    }
    log.info("joined the cluster through seeds {}", config.cluster().seeds());
    return Optional.of(joined.membership());
  }

  private static VertxOptions vertxOptions() {
    MicrometerMetricsOptions metrics =
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            // Per-route HTTP server metrics are RouteMetrics' (cheaper on the hot path).
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER);
    return new VertxOptions().setMetricsOptions(metrics);
  }

  /**
   * Reports healthy only once strong keys work from this node: the groups are placed and every
   * group it votes in knows its leader (a node running alone is every group's only voter and elects
   * itself), so a client that waits for {@code /health} does not then meet 503s while the cluster's
   * groups form. Only while {@value Placement#VOTERS} or more members are there to form them: nodes
   * started one at a time, each waited for before the next, must not wait for the ones after them
   * (nor a node restarting into a cluster that is down). Bounded: a group that has no leader in
   * time answers 503 until it has.
   */
  private void awaitStrongLeaders(Optional<HazelcastClusterManager> membership) {
    long deadline = System.nanoTime() + STRONG_KEYS_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (stopRequested.getAsBoolean()) {
        throw new StartCancelled();
      }
      if (membership.isPresent() && membership.get().getNodes().size() < Placement.VOTERS) {
        return;
      }
      try {
        List<StrongKeys.GroupStatus> groups = strong.groups().await(5, TimeUnit.SECONDS);
        if (!groups.isEmpty()
            && groups.stream()
                .filter(group -> !group.role().equals("none"))
                .allMatch(group -> group.leader().isPresent())) {
          return;
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.debug("strong groups not ready yet: {}", e.toString());
      }
    }
    log.warn("not every strong-key group elected a leader in time; they answer 503 until they do");
  }

  /** The start-up stage whose ports a bind failure can be about. */
  private enum Stage {
    CLUSTER,
    HTTP
  }

  private <T> T await(Future<T> future, Stage stage) {
    CompletableFuture<T> result = future.toCompletionStage().toCompletableFuture();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    try {
      while (true) {
        try {
          return result.get(CANCEL_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (stopRequested.getAsBoolean()) {
            throw new StartCancelled();
          }
          if (System.nanoTime() - deadline > 0) {
            throw e;
          }
        }
      }
    } catch (ExecutionException e) {
      throw startFailure(e.getCause() instanceof Exception cause ? cause : e, stage);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw startFailure(e, stage);
    } catch (TimeoutException e) {
      throw startFailure(e, stage);
    }
  }

  private RuntimeException startFailure(Exception e, Stage stage) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof BindException || message.contains("already in use")) {
        return unavailablePort(message, stage);
      }
    }
    return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
  }

  /** Names the configured port a bind failure is about (Hazelcast names its port). */
  private ConfigException unavailablePort(String message, Stage stage) {
    MeridianConfig.Cluster cluster = config.cluster();
    String key = "http.port";
    String address = config.http().host() + ":" + config.http().port();
    if (stage == Stage.CLUSTER && message.contains(Integer.toString(cluster.port()))) {
      key = "cluster.port";
      address = cluster.host() + ":" + cluster.port();
    } else if (stage == Stage.CLUSTER) {
      key = "cluster.busPort";
      address = cluster.host() + ":" + cluster.busPort();
    }
    return new ConfigException(key, address + " is not available (" + message + ")");
  }

  /**
   * Drains and stops: {@code /health} turns 503, the HTTP servers stop accepting and finish
   * in-flight requests, Vert.x closes and leaves the cluster, the store commits what is queued and
   * closes. Idempotent.
   */
  public void stop() {
    stop(Duration.ZERO);
  }

  /**
   * Stops as {@link #stop()} does, first serving on for {@code notice} with {@code /health} at 503
   * and every response closing its connection: a load balancer that checks health, and a client on
   * a kept-alive connection, move off before the servers close, instead of finding a connection
   * closed under a request they had just sent.
   */
  void stop(Duration notice) {
    // A node that never served was refused at start-up: its one line on stderr says why, and
    // lines about draining what was never open would only bury it.
    boolean served = lifecycle.current() == NodeLifecycle.State.SERVING;
    if (!lifecycle.beginDraining()) {
      return;
    }
    boolean interrupted = false;
    if (served) {
      log.info("draining");
      try {
        Thread.sleep(notice.toMillis());
      } catch (InterruptedException e) {
        // Ends the notice early, not the stop: with the flag set again here, the waits below
        // would fail at once and leave Vert.x, Raft and the store open. Set again at the end.
        interrupted = true;
      }
    }
    if (vertx != null) {
      try {
        if (httpDeployment != null) {
          vertx.undeploy(httpDeployment).await(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        log.warn("HTTP servers did not drain cleanly: {}", e.toString());
      }
      try {
        vertx.close().await(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Vert.x did not close cleanly: {}", e.toString());
      }
    }
    if (strong != null) {
      strong.close();
    }
    if (store != null) {
      store.close();
    }
    lifecycle.transition(NodeLifecycle.State.STOPPED);
    if (served) {
      log.info("stopped");
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
