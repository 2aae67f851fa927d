package io.meridian.replication;

/**
 * How far one remote region is behind this node's writes, and what reaching it has cost: the
 * visible side of delta-state gossip ({@code /v1/cluster/status}, {@code /metrics}).
 */
public record RegionLag(
    long backlogEntries,
    long backlogBytes,
    long oldestUnacknowledgedAgeMillis,
    long lastExchangeMillis,
    long deltaBytesSent,
    long fullStateBytesSent,
    long shipments) {}
