package io.meridian.gateway;

import io.meridian.core.HybridLogicalClock;
import io.meridian.core.LmdbStore;
import io.meridian.core.LocalReplica;
import io.meridian.core.NodeIdentity;
import io.meridian.core.StoreException;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.LocalCoordinator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds one node from its configuration — storage, identity, clock, the
 * coordinator, Vert.x with metrics, the HTTP API — and takes it down again in order. Nothing else
 * constructs these parts.
 */
public final class MeridianNode {
  private static final Logger log = LoggerFactory.getLogger(MeridianNode.class);
  private static final long START_TIMEOUT_SECONDS = 60;

  private final MeridianConfig config;
  private final NodeLifecycle lifecycle = new NodeLifecycle();
  private LmdbStore store;
  private Vertx vertx;
  private String httpDeployment;

  private MeridianNode(MeridianConfig config) {
    this.config = config;
  }

  /**
   * Starts a node and returns once it is serving.
   *
   * @throws ConfigException when the configuration cannot be used (port in use, unusable data
   *     directory, a data directory of another node)
   */
  public static MeridianNode start(MeridianConfig config) {
    MeridianNode node = new MeridianNode(config);
    try {
      node.startParts();
      return node;
    } catch (RuntimeException e) {
      node.stop();
      throw e;
    }
  }

  private void startParts() {
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

    vertx =
        Vertx.builder()
            .with(vertxOptions())
            .withMetrics(new MicrometerMetricsFactory(registry))
            .build();
    LocalCoordinator coordinator =
        new LocalCoordinator(
            vertx, new LocalReplica(store, identity.replicaId(), clock), config.replication());
    NodeServices services = new NodeServices(config, identity, coordinator, lifecycle, registry);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    try {
      httpDeployment =
          vertx
              .deployVerticle(
                  () -> new HttpApiVerticle(services),
                  new DeploymentOptions().setInstances(instances))
              .await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw startFailure(e);
    }
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

  private static VertxOptions vertxOptions() {
    MicrometerMetricsOptions metrics =
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE));
    return new VertxOptions().setMetricsOptions(metrics);
  }

  private RuntimeException startFailure(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return new ConfigException(
            "http.port",
            config.http().host()
                + ":"
                + config.http().port()
                + " is not available ("
                + t.getMessage()
                + ")");
      }
    }
    return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
  }

  /**
   * Drains and stops: {@code /health} turns 503, the HTTP servers stop accepting and finish
   * in-flight requests, the store commits what is queued and closes. Idempotent.
   */
  public void stop() {
    if (!lifecycle.beginDraining()) {
      return;
    }
    log.info("draining");
    if (vertx != null) {
      try {
        if (httpDeployment != null) {
          vertx.undeploy(httpDeployment).await(30, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        log.warn("HTTP servers did not drain cleanly: {}", e.toString());
      }
    }
    if (store != null) {
      store.close();
    }
    if (vertx != null) {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Vert.x did not close cleanly: {}", e.toString());
      }
    }
    lifecycle.transition(NodeLifecycle.State.STOPPED);
    log.info("stopped");
  }
}
