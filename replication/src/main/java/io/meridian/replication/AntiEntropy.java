package io.meridian.replication;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import io.meridian.core.LocalReplica;
import io.meridian.core.MerkleIndex;
import io.meridian.core.Ring;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.MeridianConfig;
import io.meridian.crdt.CrdtCodec;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merkle-tree anti-entropy: makes this node's copy of every range it replicates equal to each other
 * replica's, whatever was lost on the way (expired hints, dropped deltas, a wiped disk).
 *
 * <p>A repair is a list of tasks — (peer, token range, keyspace) for every range this node shares
 * with a peer, in this region and in others — run one at a time by a {@link RangeComparison}: the
 * two replicas compare {@link MerkleIndex} hashes top-down, exchange key digests only under leaves
 * that differ, then each sends the other its state of the differing keys, which both join. So the
 * messages grow with the number of differing keys, not with the number of keys. Shipping is
 * throttled ({@code antiEntropy.keysPerSecond}, {@code bytesPerSecond}). A repair's progress and
 * cursor are persisted after every task, so one interrupted by a restart resumes where it was; the
 * task list is re-planned from the ring at that point.
 *
 * <p>When a member of this region leaves, a repair of this node's ranges with their replicas in
 * other regions follows at once ({@link #ensureRepairWithOtherRegions}): the deltas for other
 * regions of the writes it coordinated were queued on it alone, and may never leave it.
 *
 * <p>A repair of everything also hands off the ranges this node gave up when members joined: it
 * compares them with their new replicas in this region but only sends, as a returning replica's
 * other replica may be down and these writes on this node alone ({@link #handOff}).
 */
final class AntiEntropy {
  private static final Logger log = LoggerFactory.getLogger(AntiEntropy.class);
  private static final String JOB_PREFIX = "repair.job.";
  private static final int MAX_DIGESTS_PER_RANGE = 100_000;
  private static final long RETRY_DELAY_MILLIS = 30_000;

  private final NodeRuntime runtime;
  private final Membership membership;
  private final LocalReplica replica;
  private final Store store;
  private final MeridianConfig config;
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Deque<Job> queue = new ArrayDeque<>();
  private final Map<Long, RangeComparison> sessions = new HashMap<>();
  private final java.util.function.BiConsumer<String, Long> onStateShipped;

  /** Ranges this node gave up at a ring change, for the next whole repair to hand off. */
  private List<long[]> handOff = List.of();

  private Job active;
  private RangeComparison comparison;
  private long nextSessionId;
  private long lastBackgroundMillis;
  private long retryAtMillis = Long.MAX_VALUE;
  private double keyBudget;
  private double byteBudget;
  private long lastRefillMillis;

  AntiEntropy(
      NodeRuntime runtime,
      Membership membership,
      LocalReplica replica,
      Store store,
      MeridianConfig config,
      java.util.function.BiConsumer<String, Long> onStateShipped) {
    this.runtime = runtime;
    this.membership = membership;
    this.replica = replica;
    this.store = store;
    this.config = config;
    this.onStateShipped = onStateShipped;
    this.nextSessionId = runtime.now() << 20;
    this.lastBackgroundMillis = runtime.now();
    this.lastRefillMillis = runtime.now();
  }

  /** Loads persisted repairs; those that were running resume. */
  Future<Void> load() {
    return runtime
        .onNode(
            store.scan(
                Table.META,
                JOB_PREFIX.getBytes(UTF_8),
                (JOB_PREFIX + '\uffff').getBytes(UTF_8),
                1000))
        .map(
            entries -> {
              for (Store.Entry entry : entries) {
                Job job = Job.parse(new String(entry.value(), UTF_8));
                jobs.put(job.id, job);
                if (job.state == RepairProgress.State.RUNNING) {
                  queue.add(job);
                }
              }
              return null;
            });
  }

  /** Starts a repair of every range this node replicates, within the scope. */
  RepairProgress start(Optional<Keyspace> keyspace, Optional<String> peer, boolean dryRun) {
    return start(new Job(newJobId(), keyspace, peer, false, dryRun, runtime.now()));
  }

  private String newJobId() {
    return "r" + Long.toString(runtime.now(), 36) + Long.toString(nextSessionId++ & 0xFFFF, 36);
  }

  private RepairProgress start(Job job) {
    jobs.put(job.id, job);
    queue.add(job);
    persist(job);
    return job.progress();
  }

  Optional<RepairProgress> progress(String id) {
    return Optional.ofNullable(jobs.get(id)).map(Job::progress);
  }

  /**
   * Ranges this node no longer replicates, since a member joined: the next repair of everything
   * also compares them with their new replicas in this region, so that what this node holds there
   * reaches them even when their other replicas are down.
   */
  void handOff(List<long[]> ranges) {
    handOff = TokenRanges.union(handOff, ranges);
  }

  /**
   * Starts a repair of everything shared with {@code peer} (or of everything) unless one that
   * covers it is already waiting to start. A running one does not count: it may have passed the
   * ranges that need it.
   */
  void ensureRepair(Optional<String> peer) {
    ensure(new Job(newJobId(), Optional.empty(), peer, false, false, runtime.now()));
  }

  /**
   * Starts a repair of every range this node replicates with its replicas in other regions, unless
   * one that covers it is already waiting to start.
   */
  void ensureRepairWithOtherRegions() {
    ensure(new Job(newJobId(), Optional.empty(), Optional.empty(), true, false, runtime.now()));
  }

  private void ensure(Job wanted) {
    if (queue.stream().noneMatch(job -> job.covers(wanted))) {
      start(wanted);
    }
  }

  void onTick(long now) {
    refillBudget(now);
    long interval = config.antiEntropy().intervalMs();
    if (interval > 0
        && now - lastBackgroundMillis >= interval
        && active == null
        && queue.isEmpty()) {
      lastBackgroundMillis = now;
      start(Optional.empty(), Optional.empty(), false);
    }
    if (now >= retryAtMillis) {
      retryAtMillis = Long.MAX_VALUE;
      ensureRepair(Optional.empty());
    }
    if (comparison != null) {
      comparison.onTick(now);
      return;
    }
    startNext(now);
  }

  private void startNext(long now) {
    if (comparison != null) {
      return;
    }
    if (active == null) {
      active = queue.poll();
      if (active == null) {
        return;
      }
      if (!handOff.isEmpty()
          && !active.dryRun
          && active.keyspace.isEmpty()
          && active.peer.isEmpty()
          && !active.otherRegionsOnly) {
        active.handOff = TokenRanges.union(active.handOff, handOff);
        handOff = List.of();
        persist(active); // from here on a restart resumes the hand-off with the job
      }
      active.tasks = plan(active);
    }
    if (active.cursor >= active.tasks.size()) {
      finish(active);
      active = null;
      return;
    }
    Task task = active.tasks.get(active.cursor);
    if (!membership.isUp(task.peer(), now)) {
      taskDone(false);
      return;
    }
    comparison = new RangeComparison(this, nextSessionId++, task, active.dryRun);
    sessions.put(comparison.sessionId(), comparison);
    comparison.start();
  }

  /** Called by the running comparison when it ends. */
  void taskDone(boolean succeeded) {
    if (comparison != null) {
      sessions.remove(comparison.sessionId());
      active.keysRepaired += comparison.keysRepaired();
      active.differences += comparison.differences();
      active.bytesSent += comparison.bytesSent();
      comparison = null;
    }
    Task task = active.tasks.get(active.cursor);
    int ranges = task.ranges().size();
    if (succeeded) {
      active.rangesCompared += ranges;
    } else {
      active.rangesFailed += ranges;
      active.failedPeers.add(task.peer());
    }
    active.cursor++;
    persist(active);
    // The next comparison starts at once, not at the next tick.
    runtime.executor().execute(() -> startNext(runtime.now()));
  }

  private void finish(Job job) {
    job.state = job.rangesFailed > 0 ? RepairProgress.State.FAILED : RepairProgress.State.DONE;
    if (job.rangesFailed > 0 && !job.dryRun) {
      // Some peers were unreachable: repair again once they may be back.
      retryAtMillis = Math.min(retryAtMillis, runtime.now() + RETRY_DELAY_MILLIS);
    }
    job.finishedAtMillis = runtime.now();
    persist(job);
    log.info(
        "repair {} {}: {} ranges compared, {} failed, {} keys repaired, {} bytes sent{}",
        job.id,
        job.state.apiName(),
        job.rangesCompared,
        job.rangesFailed,
        job.keysRepaired,
        job.bytesSent,
        job.failedPeers.isEmpty() ? "" : "; peers down or not answering: " + job.failedPeers);
  }

  /**
   * Every (peer, range, keyspace) this node shares with another replica, then every range it hands
   * off with the range's replicas in this region, in a fixed order.
   */
  private List<Task> plan(Job job) {
    Map<String, List<long[]>> shared = new TreeMap<>();
    Map<String, List<long[]>> handedOff = new TreeMap<>();
    String region = membership.self().region();
    for (Ring.Arc arc : membership.arcs(config.replication().n())) {
      if (arc.isReplicatedBy(runtime.self())) {
        arc.replicas()
            .forEach(
                (replicasRegion, replicas) -> {
                  if (!job.otherRegionsOnly || !replicasRegion.equals(region)) {
                    addRanges(job, shared, replicas, List.of(new long[] {arc.first(), arc.last()}));
                  }
                });
      } else {
        List<long[]> given = TokenRanges.within(arc.first(), arc.last(), job.handOff);
        addRanges(job, handedOff, arc.replicas().getOrDefault(region, List.of()), given);
      }
    }
    List<Task> tasks = new ArrayList<>();
    addTasks(job, tasks, shared, false);
    addTasks(job, tasks, handedOff, true);
    return tasks;
  }

  private void addRanges(
      Job job, Map<String, List<long[]>> byPeer, List<String> replicas, List<long[]> ranges) {
    for (String peer : replicas) {
      if (!ranges.isEmpty()
          && !peer.equals(runtime.self())
          && job.peer.map(p -> p.equals(peer)).orElse(true)) {
        byPeer.computeIfAbsent(peer, p -> new ArrayList<>()).addAll(ranges);
      }
    }
  }

  private static void addTasks(
      Job job, List<Task> tasks, Map<String, List<long[]>> byPeer, boolean handOff) {
    byPeer.forEach(
        (peer, ranges) -> {
          for (Keyspace keyspace : Keyspace.values()) {
            if (job.keyspace.map(k -> k == keyspace).orElse(true)) {
              tasks.add(new Task(peer, keyspace, TokenRanges.normalized(ranges), handOff));
            }
          }
        });
  }

  // ---- messages from peers -------------------------------------------------------------------

  void onTreeHashes(String from, PeerMessage.TreeHashes request) {
    long[] hashes = new long[request.levels().length];
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] =
          replica.merkle().hash(request.keyspace(), request.levels()[i], request.indexes()[i]);
    }
    runtime.send(from, new PeerMessage.TreeHashesReply(request.sessionId(), hashes));
  }

  void onDigestRequest(String from, PeerMessage.DigestRequest request) {
    digests(request.keyspace(), request.firsts(), request.lasts())
        .onSuccess(
            digests ->
                runtime.send(from, new PeerMessage.DigestReply(request.sessionId(), digests)));
  }

  void onPushRequest(String from, PeerMessage.PushRequest request) {
    for (DataKey key : request.keys()) {
      runtime
          .onNode(replica.read(key))
          .onSuccess(
              state -> state.ifPresent(s -> runtime.send(from, new PeerMessage.Repair(key, s))));
    }
  }

  void onTreeHashesReply(String from, PeerMessage.TreeHashesReply reply) {
    RangeComparison session = sessions.get(reply.sessionId());
    if (session != null && session.peer().equals(from)) {
      session.onTreeHashes(reply.hashes());
    }
  }

  void onDigestReply(String from, PeerMessage.DigestReply reply) {
    RangeComparison session = sessions.get(reply.sessionId());
    if (session != null && session.peer().equals(from)) {
      session.onDigests(reply.digests());
    }
  }

  // ---- services for RangeComparison ----------------------------------------------------------

  NodeRuntime runtime() {
    return runtime;
  }

  LocalReplica replica() {
    return replica;
  }

  long timeoutMillis() {
    return 5 * config.replication().timeoutMs();
  }

  /** This replica's digests for the given inclusive token ranges of one keyspace. */
  Future<List<PeerMessage.Digest>> digests(Keyspace keyspace, long[] firsts, long[] lasts) {
    List<Future<List<LocalReplica.KeyDigest>>> scans = new ArrayList<>(firsts.length);
    for (int i = 0; i < firsts.length; i++) {
      scans.add(
          runtime.onNode(replica.digests(keyspace, firsts[i], lasts[i], MAX_DIGESTS_PER_RANGE)));
    }
    return Future.all(scans)
        .map(
            all -> {
              List<PeerMessage.Digest> digests = new ArrayList<>();
              for (Future<List<LocalReplica.KeyDigest>> scan : scans) {
                for (LocalReplica.KeyDigest digest : scan.result()) {
                  digests.add(new PeerMessage.Digest(digest.key(), digest.hash()));
                }
              }
              return digests;
            });
  }

  /** Takes up to {@code keys} keys (and their bytes) from the throttle; how many it may ship. */
  int takeKeyBudget(int keys) {
    int granted = (int) Math.min(keys, Math.floor(keyBudget));
    if (byteBudget <= 0) {
      return 0;
    }
    keyBudget -= granted;
    return granted;
  }

  void spendBytes(String peer, long bytes) {
    byteBudget -= bytes;
    onStateShipped.accept(peer, bytes);
  }

  static int encodedSize(io.meridian.crdt.Crdt<?> state) {
    return CrdtCodec.encode(state).length;
  }

  private void refillBudget(long now) {
    long elapsed = Math.max(0, now - lastRefillMillis);
    lastRefillMillis = now;
    MeridianConfig.AntiEntropy settings = config.antiEntropy();
    keyBudget =
        Math.min(settings.keysPerSecond(), keyBudget + settings.keysPerSecond() * elapsed / 1000.0);
    byteBudget =
        Math.min(
            settings.bytesPerSecond(), byteBudget + settings.bytesPerSecond() * elapsed / 1000.0);
  }

  private void persist(Job job) {
    byte[] key = (JOB_PREFIX + job.id).getBytes(UTF_8);
    byte[] value = job.serialize().getBytes(UTF_8);
    store.update(Table.META, key, current -> StoreUpdate.Outcome.write(value, 0));
  }

  /**
   * One comparison to run: the token ranges (inclusive, sorted, disjoint) of a keyspace this node
   * shares with one peer, or hands off to it. A hand-off only sends this node's states: the peer
   * replicates the ranges and this node no longer does, so it takes nothing back.
   */
  record Task(String peer, Keyspace keyspace, List<long[]> ranges, boolean handOff) {
    Task {
      ranges = List.copyOf(ranges);
    }
  }

  /** A repair: its scope, progress and cursor. */
  private static final class Job {
    final String id;
    final Optional<Keyspace> keyspace;
    final Optional<String> peer;
    final boolean otherRegionsOnly;
    final boolean dryRun;
    final long startedAtMillis;
    RepairProgress.State state = RepairProgress.State.RUNNING;
    List<Task> tasks = List.of();
    int cursor;
    int rangesCompared;
    int rangesFailed;
    long keysRepaired;
    long differences;
    long bytesSent;
    long finishedAtMillis;
    final SortedSet<String> failedPeers = new TreeSet<>();
    List<long[]> handOff = List.of();

    Job(
        String id,
        Optional<Keyspace> keyspace,
        Optional<String> peer,
        boolean otherRegionsOnly,
        boolean dryRun,
        long startedAtMillis) {
      this.id = id;
      this.keyspace = keyspace;
      this.peer = peer;
      this.otherRegionsOnly = otherRegionsOnly;
      this.dryRun = dryRun;
      this.startedAtMillis = startedAtMillis;
    }

    /** Whether this repair, when it runs, does all that {@code other} would (both not dry runs). */
    boolean covers(Job other) {
      return !dryRun
          && keyspace.isEmpty()
          && (peer.isEmpty() || peer.equals(other.peer))
          && (!otherRegionsOnly || other.otherRegionsOnly);
    }

    RepairProgress progress() {
      return new RepairProgress(
          id,
          state,
          dryRun,
          keyspace.map(Keyspace::pathName),
          peer,
          tasks.stream().mapToInt(task -> task.ranges().size()).sum(),
          rangesCompared,
          rangesFailed,
          keysRepaired,
          differences,
          bytesSent,
          startedAtMillis,
          finishedAtMillis,
          List.copyOf(failedPeers));
    }

    String serialize() {
      Properties p = new Properties();
      p.setProperty("id", id);
      keyspace.ifPresent(k -> p.setProperty("keyspace", k.pathName()));
      peer.ifPresent(n -> p.setProperty("peer", n));
      p.setProperty("otherRegionsOnly", Boolean.toString(otherRegionsOnly));
      p.setProperty("dryRun", Boolean.toString(dryRun));
      p.setProperty("state", state.name());
      p.setProperty("cursor", Integer.toString(cursor));
      p.setProperty("rangesCompared", Integer.toString(rangesCompared));
      p.setProperty("rangesFailed", Integer.toString(rangesFailed));
      p.setProperty("keysRepaired", Long.toString(keysRepaired));
      p.setProperty("differences", Long.toString(differences));
      p.setProperty("bytesSent", Long.toString(bytesSent));
      p.setProperty("startedAt", Long.toString(startedAtMillis));
      p.setProperty("finishedAt", Long.toString(finishedAtMillis));
      p.setProperty("failedPeers", String.join(",", failedPeers));
      p.setProperty(
          "handOff", String.join(",", handOff.stream().map(r -> r[0] + ":" + r[1]).toList()));
      StringBuilder text = new StringBuilder();
      new TreeMap<>(p).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
      return text.toString();
    }

    static Job parse(String text) {
      Map<String, String> p = new HashMap<>();
      for (String line : text.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          p.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      Job job =
          new Job(
              p.get("id"),
              Optional.ofNullable(p.get("keyspace")).flatMap(Keyspace::byPathName),
              Optional.ofNullable(p.get("peer")),
              Boolean.parseBoolean(p.get("otherRegionsOnly")),
              Boolean.parseBoolean(p.get("dryRun")),
              Long.parseLong(p.getOrDefault("startedAt", "0")));
      job.state = RepairProgress.State.valueOf(p.getOrDefault("state", "RUNNING"));
      job.cursor = Integer.parseInt(p.getOrDefault("cursor", "0"));
      job.rangesCompared = Integer.parseInt(p.getOrDefault("rangesCompared", "0"));
      job.rangesFailed = Integer.parseInt(p.getOrDefault("rangesFailed", "0"));
      job.keysRepaired = Long.parseLong(p.getOrDefault("keysRepaired", "0"));
      job.differences = Long.parseLong(p.getOrDefault("differences", "0"));
      job.bytesSent = Long.parseLong(p.getOrDefault("bytesSent", "0"));
      job.finishedAtMillis = Long.parseLong(p.getOrDefault("finishedAt", "0"));
      for (String peer : p.getOrDefault("failedPeers", "").split(",")) {
        if (!peer.isEmpty()) {
          job.failedPeers.add(peer);
        }
      }
      List<long[]> handOff = new ArrayList<>();
      for (String range : p.getOrDefault("handOff", "").split(",")) {
        int colon = range.indexOf(':', 1); // after a leading minus sign
        if (colon > 0) {
          handOff.add(
              new long[] {
                Long.parseLong(range.substring(0, colon)),
                Long.parseLong(range.substring(colon + 1))
              });
        }
      }
      job.handOff = handOff;
      return job;
    }
  }
}
