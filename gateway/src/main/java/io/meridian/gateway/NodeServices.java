package io.meridian.gateway;

import io.meridian.core.NodeIdentity;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.ClusterView;
import io.meridian.replication.Coordinator;
import io.meridian.replication.RepairService;
import io.meridian.replication.strong.StrongKeys;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** What the HTTP API needs from the node that the composition root has built. */
record NodeServices(
    MeridianConfig config,
    NodeIdentity identity,
    Coordinator coordinator,
    ClusterView cluster,
    RepairService repairs,
    NodeLifecycle lifecycle,
    PrometheusMeterRegistry registry,
    StrongKeys strong) {

  /** Services of a node that serves no strong keys. */
  NodeServices(
      MeridianConfig config,
      NodeIdentity identity,
      Coordinator coordinator,
      ClusterView cluster,
      RepairService repairs,
      NodeLifecycle lifecycle,
      PrometheusMeterRegistry registry) {
    this(
        config,
        identity,
        coordinator,
        cluster,
        repairs,
        lifecycle,
        registry,
        StrongKeys.unavailable());
  }
}
