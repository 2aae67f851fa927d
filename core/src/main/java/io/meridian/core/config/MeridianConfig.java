package io.meridian.core.config;

import static io.meridian.core.config.ConfigException.require;
import static io.meridian.core.config.ConfigException.requireRange;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A node's whole configuration, one record per section of the YAML schema in API.md. Every record
 * validates itself on construction and names the offending key, so an instance that exists is
 * valid; cross-section rules live in the top-level constructor.
 */
public record MeridianConfig(
    Node node,
    Http http,
    Cluster cluster,
    Raft raft,
    Replication replication,
    Ring ring,
    FailureDetector failureDetector,
    Hints hints,
    AntiEntropy antiEntropy,
    Gossip gossip,
    Faults faults,
    Limits limits,
    Storage storage) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  public MeridianConfig {
    require(node != null, "node", "missing");
    require(http != null, "http", "missing");
    require(cluster != null, "cluster", "missing");
    require(raft != null, "raft", "missing");
    require(replication != null, "replication", "missing");
    require(ring != null, "ring", "missing");
    require(failureDetector != null, "failureDetector", "missing");
    require(hints != null, "hints", "missing");
    require(antiEntropy != null, "antiEntropy", "missing");
    require(gossip != null, "gossip", "missing");
    require(faults != null, "faults", "missing");
    require(limits != null, "limits", "missing");
    require(storage != null, "storage", "missing");
  }

  /** Identity and placement of this node. */
  public record Node(String id, String region, String dataDir) {
    public Node {
      require(id != null && NAME.matcher(id).matches(), "node.id", "must match " + NAME);
      require(
          region != null && NAME.matcher(region).matches(), "node.region", "must match " + NAME);
      require(dataDir != null && !dataDir.isBlank(), "node.dataDir", "must not be empty");
    }
  }

  /** The client-facing HTTP server and its protective limits. */
  public record Http(
      String host,
      int port,
      long idleTimeoutMs,
      long requestTimeoutMs,
      int maxHeaderBytes,
      boolean h2c,
      List<String> corsOrigins) {
    /** A browser origin: a scheme, a host and an optional port, with nothing after them. */
    private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+");

    public Http {
      require(host != null && !host.isBlank(), "http.host", "must not be empty");
      requireRange(port, 1, 65535, "http.port");
      requireRange(idleTimeoutMs, 100, 3_600_000, "http.idleTimeoutMs");
      requireRange(requestTimeoutMs, 100, 600_000, "http.requestTimeoutMs");
      requireRange(maxHeaderBytes, 1024, 65536, "http.maxHeaderBytes");
      require(corsOrigins != null, "http.corsOrigins", "must be a list of origins");
      corsOrigins = List.copyOf(corsOrigins);
      for (String origin : corsOrigins) {
        require(
            origin.equals("*") ? corsOrigins.size() == 1 : ORIGIN.matcher(origin).matches(),
            "http.corsOrigins",
            origin.equals("*")
                ? "'*' allows every origin and cannot be listed with others"
                : "'" + origin + "' is not an origin like https://app.example.com[:port]");
      }
    }

    public Duration idleTimeout() {
      return Duration.ofMillis(idleTimeoutMs);
    }

    public Duration requestTimeout() {
      return Duration.ofMillis(requestTimeoutMs);
    }
  }

  /** Membership (Hazelcast) and event-bus endpoints, and the seeds used to join. */
  public record Cluster(
      String host,
      int port,
      int busPort,
      List<String> seeds,
      long memberTimeoutMs,
      long mergeDelayMs) {
    public Cluster {
      require(host != null && !host.isBlank(), "cluster.host", "must not be empty");
      requireRange(port, 1, 65535, "cluster.port");
      requireRange(busPort, 1, 65535, "cluster.busPort");
      require(seeds != null, "cluster.seeds", "must be a list of host:port");
      seeds = List.copyOf(seeds);
      for (String seed : seeds) {
        require(
            seed.matches("[^:\\s]+:[0-9]{1,5}"),
            "cluster.seeds",
            "'" + seed + "' is not host:port");
      }
      requireRange(memberTimeoutMs, 1000, 600_000, "cluster.memberTimeoutMs");
      requireRange(mergeDelayMs, 1000, 600_000, "cluster.mergeDelayMs");
    }

    /** Whether this node joins a cluster; with no seeds it runs alone. */
    public boolean clustered() {
      return !seeds.isEmpty();
    }
  }

  /** The Raft (Apache Ratis) server hosting strong-key groups. */
  public record Raft(int port, long electionTimeoutMs, int groups) {
    public Raft {
      requireRange(port, 1, 65535, "raft.port");
      requireRange(electionTimeoutMs, 100, 60_000, "raft.electionTimeoutMs");
      requireRange(groups, 1, 1024, "raft.groups");
    }
  }

  /** Replicas per key in each region and the default quorums. */
  public record Replication(int n, int w, int r, long timeoutMs) {
    public Replication {
      requireRange(n, 1, 9, "replication.n");
      require(w >= 1 && w <= n, "replication.w", "must be between 1 and n (" + n + ")");
      require(r >= 1 && r <= n, "replication.r", "must be between 1 and n (" + n + ")");
      requireRange(timeoutMs, 10, 600_000, "replication.timeoutMs");
    }

    /** Whether a read quorum may miss the latest acknowledged write ({@code w + r <= n}). */
    public boolean readsMayBeStale() {
      return w + r <= n;
    }
  }

  /** The consistent-hash ring. */
  public record Ring(int vnodes) {
    public Ring {
      requireRange(vnodes, 1, 4096, "ring.vnodes");
    }
  }

  /** The phi-accrual failure detector. */
  public record FailureDetector(
      double phiThreshold,
      long cooldownMs,
      long heartbeatIntervalMs,
      long acceptablePauseMs,
      long minStdDeviationMs) {
    public FailureDetector {
      require(
          phiThreshold > 0 && phiThreshold <= 100,
          "failureDetector.phiThreshold",
          "must be in (0, 100]");
      requireRange(cooldownMs, 0, 86_400_000, "failureDetector.cooldownMs");
      requireRange(heartbeatIntervalMs, 10, 60_000, "failureDetector.heartbeatIntervalMs");
      requireRange(acceptablePauseMs, 0, 600_000, "failureDetector.acceptablePauseMs");
      requireRange(minStdDeviationMs, 1, 60_000, "failureDetector.minStdDeviationMs");
    }
  }

  /** Hinted handoff. */
  public record Hints(long ttlMs, int batchSize, int maxBatchesPerSecond) {
    public Hints {
      requireRange(ttlMs, 1, 30L * 86_400_000, "hints.ttlMs");
      requireRange(batchSize, 1, 10_000, "hints.batchSize");
      requireRange(maxBatchesPerSecond, 1, 10_000, "hints.maxBatchesPerSecond");
    }
  }

  /** Merkle-tree anti-entropy: the background pass and the repair throttle. */
  public record AntiEntropy(long intervalMs, int keysPerSecond, long bytesPerSecond) {
    public AntiEntropy {
      requireRange(intervalMs, 0, 30L * 86_400_000, "antiEntropy.intervalMs");
      requireRange(keysPerSecond, 1, 10_000_000, "antiEntropy.keysPerSecond");
      requireRange(bytesPerSecond, 1024, 10L << 30, "antiEntropy.bytesPerSecond");
    }
  }

  /** Delta-state shipping between regions. */
  public record Gossip(long intervalMs, int maxBatchBytes, int bufferMaxEntries) {
    public Gossip {
      requireRange(intervalMs, 1, 600_000, "gossip.intervalMs");
      requireRange(maxBatchBytes, 1024, 64 << 20, "gossip.maxBatchBytes");
      requireRange(bufferMaxEntries, 1, 100_000_000, "gossip.bufferMaxEntries");
    }
  }

  /**
   * Faults injected into the event-bus transport between regions, for tests and demos (this
   * machine's kernel has no netem). Entries are {@code "regionA/regionB=value"}, symmetric.
   */
  public record Faults(List<String> regionDelays, List<String> regionLoss) {
    private static final Pattern ENTRY =
        Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*=[0-9.]+");

    public Faults {
      require(regionDelays != null, "faults.regionDelays", "must be a list");
      require(regionLoss != null, "faults.regionLoss", "must be a list");
      regionDelays = List.copyOf(regionDelays);
      regionLoss = List.copyOf(regionLoss);
      for (String entry : regionDelays) {
        require(
            ENTRY.matcher(entry).matches(), "faults.regionDelays", "'" + entry + "' is not a/b=ms");
      }
      for (String entry : regionLoss) {
        require(
            ENTRY.matcher(entry).matches(), "faults.regionLoss", "'" + entry + "' is not a/b=p");
        double p = Double.parseDouble(entry.substring(entry.indexOf('=') + 1));
        require(p >= 0 && p <= 1, "faults.regionLoss", "'" + entry + "': loss must be in [0, 1]");
      }
    }

    /** The injected one-way delay between two regions, 0 if none. */
    public long delayMillis(String regionA, String regionB) {
      return (long) value(regionDelays, regionA, regionB);
    }

    /** The injected loss probability between two regions, 0 if none. */
    public double loss(String regionA, String regionB) {
      return value(regionLoss, regionA, regionB);
    }

    private static double value(List<String> entries, String a, String b) {
      for (String entry : entries) {
        String pair = entry.substring(0, entry.indexOf('='));
        if (pair.equals(a + "/" + b) || pair.equals(b + "/" + a)) {
          return Double.parseDouble(entry.substring(entry.indexOf('=') + 1));
        }
      }
      return 0;
    }

    public boolean any() {
      return !regionDelays.isEmpty() || !regionLoss.isEmpty();
    }
  }

  /** Request limits enforced before anything is stored. */
  public record Limits(int maxKeyBytes, int maxValueBytes, int maxSetElementBytes) {
    public Limits {
      requireRange(maxKeyBytes, 1, 4096, "limits.maxKeyBytes");
      requireRange(maxValueBytes, 1, 64 << 20, "limits.maxValueBytes");
      requireRange(maxSetElementBytes, 1, 65536, "limits.maxSetElementBytes");
    }
  }

  /** The LMDB environment and its group-commit writer. */
  public record Storage(long mapSizeMb, int maxBatchMutations, int queueCapacity) {
    public Storage {
      requireRange(mapSizeMb, 16, 16L << 20, "storage.mapSizeMb");
      requireRange(maxBatchMutations, 1, 100_000, "storage.maxBatchMutations");
      requireRange(queueCapacity, 1, 1_000_000, "storage.queueCapacity");
    }
  }
}
