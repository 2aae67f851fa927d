package io.meridian.replication.strong;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.hazelcast.core.HazelcastInstance;
import io.meridian.core.Store;
import io.meridian.core.StoreUpdate;
import io.meridian.core.Table;
import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import io.meridian.replication.strong.GroupCalls.Mode;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.impl.RaftClientImpl;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Strong keys on Apache Ratis: one {@link RaftServer} per node hosting every group this node votes
 * in (multi-Raft), one Raft client per group for the requests this node serves, and the {@link
 * Placement} that says which group has which voters.
 *
 * <p>Any node serves any strong key: its client for the key's group finds the group's leader and
 * retries there (with the same call id, so the leader's retry cache answers a retry of a write it
 * already applied), and a write whose outcome is still unknown is sent again as a new call until
 * its deadline. Whatever the route, each write is applied at most once: every request names this
 * node's client and the writes it has finished, and the state machine answers a second copy of a
 * write with the first one's reply ({@link ClientSession}). Writes go through the log. A
 * linearizable read is answered by the key's group leader once a follower has confirmed the
 * leader's term ({@link LeaderReads}: ReadIndex, with a confirmation of our own), here if this
 * node's division leads, else at the leader this node's client knows; reads that no leader could
 * confirm go through the log: an entry of {@code Get}s answered at its place in the order. Not
 * Ratis' ReadIndex: Ratis (3.2.0 to 3.2.2) skips the confirming heartbeat round when an earlier
 * round already confirmed the current commit index ({@code ReadIndexHeartbeats}), so a leader cut
 * off from its followers, which commits nothing more, went on answering reads unconfirmed until it
 * stepped down (up to the maximum election timeout after its last reply) while a new leader could
 * already have acknowledged writes; and the rounds that do run were slow here (ReadIndex only when
 * the commit index had moved, else through the log, gave 176 reads/s from 16 clients with a p99 of
 * 767 ms, about Ratis' heartbeat period of 750 ms). Stale reads read this node's replica when it
 * has one.
 *
 * <p>Threading: Ratis calls run on this class's own threads, never on an event loop; futures handed
 * to Vert.x callers complete on the caller's context ({@code Future.fromCompletionStage}).
 * Placement work runs on one setup thread, status reads on another.
 */
public final class RatisStrongKeys implements StrongKeys, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RatisStrongKeys.class);

  /**
   * Test-only switch: serve linearizable reads from this node's replica, as a stale read would. It
   * exists to prove that the linearizability tests can fail; never set it anywhere else.
   */
  public static final String LOCAL_READS_SWITCH = "meridian.test.strongReadsFromLocalState";

  static final String RAFT_DIRECTORY = "raft";
  private static final long VOTERS_VIEW_INTERVAL_MILLIS = 2_000;
  private static final byte[] PLACEMENT_KEY = "strong.placement".getBytes(UTF_8);
  private static final long AGREE_INTERVAL_MILLIS = 500;
  private static final int CALL_QUEUE = 10_000;
  private static final long SNAPSHOT_REQUEST_TIMEOUT_MILLIS = 60_000;

  /**
   * Event loops for the Raft server's inbound calls ({@link RaftServerTransport}); each handler is
   * short, and a second loop keeps one that waits from holding up every other call.
   */
  private static final int RAFT_IO_THREADS = 2;

  private static final int MAX_BATCH = 256;

  private final RaftMember self;
  private final Store store;
  private final RaftTuning tuning;
  private final int groupCount;
  private final boolean readsFromLocalState;
  private final Map<UUID, StrongStateMachine> machines = new ConcurrentHashMap<>();

  /** Per group, how many times this node learned of a new leader (for the metrics). */
  private final Map<UUID, AtomicLong> leaderChanges = new ConcurrentHashMap<>();

  private final StrongRetryPolicy retryPolicy;
  private final ScheduledExecutorService setup;

  /**
   * Reads the groups' status, for the metrics every second and for {@code /v1/cluster/status}: its
   * own thread, as a division lookup can wait while the division is being built, and placement work
   * on {@link #setup} must not wait behind it, nor status behind that work (a peer's rejoin kept
   * the setup thread busy for ~6 s, and status requests with it).
   */
  private final ScheduledExecutorService statusReader;

  /** Leaders of the groups this node does not vote in, asked on a thread of its own. */
  private final VotersView votersView;

  private final ScheduledExecutorService votersAsker;

  private final ExecutorService calls;

  /** This service's name as a client of the groups' state machines ({@link ClientSession}). */
  private final long clientId = new SecureRandom().nextLong();

  private final RequestNonces nonces = new RequestNonces();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final RaftServer server;
  private final RaftServerTransport transport;
  private final ScheduledExecutorService repairs;
  private final ScheduledExecutorService tripLeases;
  private final TripGate writeTrips;
  private final TripGate readTrips;
  private final TripTally writeTally = new TripTally();
  private final TripTally readTally = new TripTally();
  private final DivisionRepair repair;
  private final ExecutorService lookups;
  private final LocalLeader localLeader;
  private final LeaderReads leaderReads;
  private final GroupCalls groupCalls;
  private volatile Active active;

  /**
   * A placement in use and, per group, the batchers of this node's requests with their Raft
   * clients: one for writes, one for reads. Separate because Ratis' client, when told that a peer
   * is not the leader, drops its channel to that peer and waits (up to 3 s, on the thread that
   * retries) for the calls in flight on it to end; shared with reads, a write's retry could wait on
   * a linearizable read that a follower holds while it cannot reach the dead leader, twice in a
   * row, and time out.
   */
  private record Active(
      Placement placement,
      List<RaftClientImpl> writeClients,
      List<RaftClientImpl> readClients,
      List<GroupBatcher> writers,
      List<GroupBatcher> readers) {
    List<RaftClientImpl> clients() {
      List<RaftClientImpl> all = new ArrayList<>(writeClients);
      all.addAll(readClients);
      return all;
    }
  }

  private RatisStrongKeys(
      RaftMember self,
      Path raftDir,
      String host,
      int port,
      RaftTuning tuning,
      int groups,
      Store store,
      LongSupplier usableBytes)
      throws IOException {
    this.self = self;
    this.store = store;
    this.tuning = tuning;
    this.groupCount = groups;
    this.readsFromLocalState = Boolean.getBoolean(LOCAL_READS_SWITCH);
    this.retryPolicy =
        new StrongRetryPolicy(
            TimeDuration.valueOf(tuning.retryPause().toMillis(), TimeUnit.MILLISECONDS));
    this.setup = new ScheduledThreadPoolExecutor(1, daemon("meridian-strong-setup"));
    this.statusReader = new ScheduledThreadPoolExecutor(1, daemon("meridian-strong-status"));
    this.votersView =
        new VotersView(
            tuning.statusClientProperties(),
            System::currentTimeMillis,
            VOTERS_VIEW_INTERVAL_MILLIS * 3);
    this.votersAsker = new ScheduledThreadPoolExecutor(1, daemon("meridian-strong-voters"));
    votersAsker.scheduleWithFixedDelay(
        this::askOtherGroupsVoters, 0, VOTERS_VIEW_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    this.calls =
        new ThreadPoolExecutor(
            2,
            2,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(CALL_QUEUE),
            daemon("meridian-strong-client"));
    Files.createDirectories(raftDir);
    this.transport = new RaftServerTransport(RAFT_IO_THREADS);
    this.server =
        RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(self.id()))
            .setProperties(tuning.serverProperties(raftDir, host, port))
            .setParameters(transport.parameters())
            .setStateMachineRegistry(
                groupId ->
                    machines.computeIfAbsent(
                        groupId.getUuid(),
                        uuid ->
                            new StrongStateMachine(
                                uuid,
                                store,
                                () -> requestRepair(groupId, "applying to storage failed"),
                                () ->
                                    leaderChanges
                                        .computeIfAbsent(uuid, any -> new AtomicLong())
                                        .incrementAndGet(),
                                reads -> readAsLeader(uuid, reads),
                                new LogSizeSnapshots(
                                    tuning.snapshotLogBytes(), () -> askForSnapshot(groupId)))))
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    this.repairs = new ScheduledThreadPoolExecutor(1, daemon("meridian-strong-repair"));
    this.tripLeases = new ScheduledThreadPoolExecutor(1, daemon("meridian-strong-trips"));
    this.writeTrips =
        new TripGate(tuning.tripsInFlight(), tuning.tripLease(), tripLeases, System::nanoTime);
    this.readTrips =
        new TripGate(tuning.tripsInFlight(), tuning.tripLease(), tripLeases, System::nanoTime);
    this.lookups =
        new ThreadPoolExecutor(
            0,
            1,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemon("meridian-strong-lookup"));
    this.localLeader = new LocalLeader(server, lookups);
    // A follower answers a term question at once; one that takes longer is busy or gone, and the
    // reads go through the log (a third of an attempt: 500 ms by default).
    this.leaderReads =
        new LeaderReads(
            self.id(),
            localLeader::leadership,
            LeaderReads.throughRaftClient(clientId),
            this::nonce,
            tuning.attemptTimeout().dividedBy(3));
    this.groupCalls =
        new GroupCalls(
            self, clientId, nonces, localLeader, leaderReads, retryPolicy, tuning, closed::get);
    this.repair =
        new DivisionRepair(
            server,
            repairs,
            this::votedGroup,
            this::retireStateMachine,
            this::nonce,
            System::nanoTime,
            usableBytes);
    if (readsFromLocalState) {
      log.warn(
          "TEST SWITCH {} is on: linearizable strong reads are served from the local replica and"
              + " may be stale",
          LOCAL_READS_SWITCH);
    }
  }

  /**
   * Starts the node's Raft server on {@code raft.port}, its log under {@code <node.dataDir>/raft}.
   * A node without cluster seeds votes alone in every group. A clustered node uses the placement it
   * persisted, if any, at once (its groups are recovered from disk and vote before the node has
   * joined the membership); otherwise it waits for {@link #joinCluster}.
   *
   * @throws ConfigException when the Raft port cannot be bound or the directory used
   */
  public static RatisStrongKeys start(MeridianConfig config, Store store) {
    // Ratis ends the JVM on some storage failures (a full disk during an election); a node must
    // stay up and answer 503/507 instead, so Ratis may only throw.
    ExitUtils.disableSystemExit();
    RaftMember self =
        new RaftMember(
            config.node().id(),
            config.node().region(),
            config.cluster().host() + ":" + config.raft().port());
    Path raftDir = Path.of(config.node().dataDir()).resolve(RAFT_DIRECTORY);
    RatisStrongKeys keys =
        create(
            self,
            raftDir,
            config.cluster().host(),
            config.raft().port(),
            RaftTuning.from(config),
            config.raft().groups(),
            store,
            () -> usableBytes(raftDir));
    try {
      if (!config.cluster().clustered()) {
        keys.activate(Placement.standalone(config.raft().groups(), self));
      } else {
        keys.loadPlacement().ifPresent(keys::activate);
      }
      return keys;
    } catch (RuntimeException e) {
      keys.close();
      throw e;
    }
  }

  /**
   * Takes part in the cluster's placement through its Hazelcast membership: publishes this node's
   * placement, or agrees on one in the background once enough members, and the {@code seeds} this
   * node joined through, are there ({@link PlacementAgreement}).
   */
  public void joinCluster(HazelcastInstance hazelcast, List<String> seeds) {
    hazelcast
        .getCluster()
        .addMembershipListener(new RejoinedPeers(self.id(), setup, this::reconnectTo));
    PlacementAgreement agreement =
        new PlacementAgreement(hazelcast, groupCount, seeds, System::currentTimeMillis);
    Active current = active;
    if (current != null) {
      setup.execute(() -> publish(agreement, current.placement()));
      return;
    }
    log.info(
        "strong keys: waiting for {} cluster members to place the Raft groups", Placement.VOTERS);
    setup.scheduleWithFixedDelay(
        () -> agreeOnce(agreement), 0, AGREE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Drops this node's Raft server channel to {@code peer} (votes, appends, snapshots), so that the
   * next RPC to it connects afresh instead of waiting out a reconnect backoff ({@link
   * RejoinedPeers}). Ratis reopens it on its next use. The group clients need nothing: Ratis'
   * client drops its channel to a peer after every failed attempt on it.
   */
  private void reconnectTo(RaftPeerId peer) {
    if (closed.get()) {
      return;
    }
    server
        .getServerRpc()
        .handleException(peer, new IOException(peer + " joined the cluster"), true);
    log.info("strong keys: {} joined the cluster; reconnecting to it", peer);
  }

  /**
   * Starts with a given placement (tests: several servers in one JVM), seeing as much free space on
   * the Raft log's disk as {@code usableBytes} tells.
   */
  static RatisStrongKeys startWith(
      RaftMember self,
      Path raftDir,
      RaftTuning tuning,
      Placement placement,
      Store store,
      LongSupplier usableBytes) {
    String address = self.address();
    RatisStrongKeys keys =
        create(
            self,
            raftDir,
            address.substring(0, address.lastIndexOf(':')),
            Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)),
            tuning,
            placement.groups().size(),
            store,
            usableBytes);
    try {
      keys.activate(placement);
      return keys;
    } catch (RuntimeException e) {
      keys.close();
      throw e;
    }
  }

  private static RatisStrongKeys create(
      RaftMember self,
      Path raftDir,
      String host,
      int port,
      RaftTuning tuning,
      int groups,
      Store store,
      LongSupplier usableBytes) {
    RatisStrongKeys keys;
    try {
      keys = new RatisStrongKeys(self, raftDir, host, port, tuning, groups, store, usableBytes);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("node.dataDir", "cannot use " + raftDir + " for Raft: " + e);
    }
    try {
      keys.server.start();
      keys.repair.start();
    } catch (IOException | RuntimeException e) {
      keys.close();
      if (isBindFailure(e)) {
        throw new ConfigException(
            "raft.port", host + ":" + port + " is not available (" + Causes.describe(e) + ")");
      }
      throw new ConfigException(
          "node.dataDir",
          "the Raft state under " + raftDir + " cannot be used (" + Causes.describe(e) + ")");
    }
    return keys;
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException
          || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  // ---- placement ---------------------------------------------------------------------------

  private void publish(PlacementAgreement agreement, Placement placement) {
    try {
      agreement.publish(placement);
    } catch (RuntimeException e) {
      log.warn("could not publish the strong-key placement: {}", e.toString());
    }
  }

  private void agreeOnce(PlacementAgreement agreement) {
    if (active != null || closed.get()) {
      return;
    }
    try {
      Optional<Placement> agreed = agreement.tryAgree();
      if (agreed.isPresent()) {
        if (agreed.get().groups().size() != groupCount) {
          log.warn(
              "strong keys: the cluster's placement has {} groups, raft.groups here is {}; using"
                  + " the cluster's",
              agreed.get().groups().size(),
              groupCount);
        }
        savePlacement(agreed.get());
        activate(agreed.get());
      }
    } catch (RuntimeException e) {
      log.warn("strong keys: placement attempt failed, retrying: {}", e.toString());
    }
  }

  /**
   * The placement this node agreed on in an earlier run, if any.
   *
   * @throws ConfigException if it knows this node at another Raft address: its groups' logs name
   *     each voter by the address it had then, so the other voters would never reach it
   */
  private Optional<Placement> loadPlacement() {
    Optional<Placement> placement =
        StoreFutures.join(store.get(Table.META, PLACEMENT_KEY))
            .map(bytes -> Placement.fromJson(new JsonObject(new String(bytes, UTF_8))));
    placement.stream()
        .flatMap(agreed -> agreed.groups().stream())
        .flatMap(group -> group.voters().stream())
        .filter(voter -> voter.id().equals(self.id()) && !voter.address().equals(self.address()))
        .findFirst()
        .ifPresent(
            known -> {
              throw new ConfigException(
                  "raft.port",
                  "this node's Raft groups know it at "
                      + known.address()
                      + ", not "
                      + self.address()
                      + " (cluster.host:raft.port); start it with that address");
            });
    return placement;
  }

  private void savePlacement(Placement placement) {
    byte[] json = placement.toJson().encode().getBytes(UTF_8);
    StoreFutures.join(
        store.update(Table.META, PLACEMENT_KEY, current -> StoreUpdate.Outcome.write(json, null)));
  }

  /** Adds the groups this node votes in (new ones formatted) and builds the clients per group. */
  private synchronized void activate(Placement placement) {
    if (active != null) {
      return;
    }
    Set<RaftGroupId> hosted = hostedGroups();
    List<CompletableFuture<RaftClientReply>> adds = new ArrayList<>();
    for (Placement.Group group : placement.groups()) {
      RaftGroup raftGroup = raftGroup(group);
      if (group.hasVoter(self.id()) && !hosted.contains(raftGroup.getGroupId())) {
        GroupManagementRequest add =
            GroupManagementRequest.newAdd(
                ClientId.randomId(), server.getId(), nonce(), raftGroup, true);
        adds.add(server.groupManagementAsync(add));
      }
    }
    for (CompletableFuture<RaftClientReply> add : adds) {
      try {
        add.join();
      } catch (CompletionException e) {
        if (!(e.getCause() instanceof AlreadyExistsException)) {
          throw new IllegalStateException("cannot add a Raft group: " + Causes.describe(e), e);
        }
      }
    }
    List<RaftClientImpl> writeClients = new ArrayList<>();
    List<RaftClientImpl> readClients = new ArrayList<>();
    List<GroupBatcher> writers = new ArrayList<>();
    List<GroupBatcher> readers = new ArrayList<>();
    for (Placement.Group group : placement.groups()) {
      RaftClientImpl writeClient = newClient(group);
      RaftClientImpl readClient = newClient(group);
      writeClients.add(writeClient);
      readClients.add(readClient);
      writers.add(batcher(group, writeClient, Mode.WRITE));
      readers.add(batcher(group, readClient, Mode.LINEARIZABLE_READ));
    }
    active =
        new Active(
            placement,
            List.copyOf(writeClients),
            List.copyOf(readClients),
            List.copyOf(writers),
            List.copyOf(readers));
    log.info(
        "strong keys: {} Raft groups, this node votes in {}",
        placement.groups().size(),
        placement.groups().stream().filter(g -> g.hasVoter(self.id())).count());
  }

  private RaftClientImpl newClient(Placement.Group group) {
    return (RaftClientImpl)
        RaftClient.newBuilder()
            .setProperties(tuning.clientProperties())
            .setRaftGroup(raftGroup(group))
            .setClientId(ClientId.randomId())
            .setRetryPolicy(retryPolicy)
            .build();
  }

  private GroupBatcher batcher(Placement.Group group, RaftClientImpl client, Mode mode) {
    return new GroupBatcher(
        (command, deadline) -> groupCalls.send(group, client, command, mode, deadline),
        this::nonce,
        System::nanoTime,
        calls,
        mode == Mode.WRITE ? writeTrips : readTrips,
        mode == Mode.WRITE ? writeTally : readTally,
        mode == Mode.WRITE,
        MAX_BATCH,
        tuning.maxEntryBytes());
  }

  /**
   * Asks this node's replica of {@code group} for a snapshot ({@link LogSizeSnapshots}). Off the
   * group's updater thread, which asks: that thread is the one to take it.
   */
  private CompletableFuture<?> askForSnapshot(RaftGroupId group) {
    SnapshotManagementRequest request =
        SnapshotManagementRequest.newCreate(
            ClientId.randomId(),
            server.getId(),
            group,
            nonce(),
            SNAPSHOT_REQUEST_TIMEOUT_MILLIS,
            1);
    try {
      return CompletableFuture.supplyAsync(() -> server.snapshotManagementAsync(request), setup)
          .thenCompose(reply -> reply);
    } catch (RejectedExecutionException closing) {
      return CompletableFuture.failedFuture(closing);
    }
  }

  private static RaftGroup raftGroup(Placement.Group group) {
    List<RaftPeer> peers = new ArrayList<>();
    for (RaftMember voter : group.voters()) {
      peers.add(RaftPeer.newBuilder().setId(voter.id()).setAddress(voter.address()).build());
    }
    return RaftGroup.valueOf(RaftGroupId.valueOf(group.raftId()), peers);
  }

  /** How many requests went straight to this node's leading divisions (for tests). */
  long localSubmissions() {
    return localLeader.submitted();
  }

  /**
   * How many batches of linearizable reads this node answered as a confirmed leader (for tests).
   */
  long leaderConfirmedReads() {
    return leaderReads.confirmed();
  }

  /** This node's Raft server (for tests that break one of its divisions). */
  RaftServer raftServer() {
    return server;
  }

  /** The placement in use, once there is one. */
  public Optional<Placement> placement() {
    Active current = active;
    return current == null ? Optional.empty() : Optional.of(current.placement());
  }

  // ---- requests ----------------------------------------------------------------------------

  @Override
  public Future<Long> put(String key, byte[] value, String contentType, Precondition precondition) {
    return written(new StrongCommand.Put(nonces.open(), key, precondition, contentType, value));
  }

  @Override
  public Future<Long> delete(String key, Precondition precondition) {
    return written(new StrongCommand.Delete(nonces.open(), key, precondition));
  }

  /** Writes {@code command}, whose nonce is open, and finishes the nonce once it is answered. */
  private Future<Long> written(StrongCommand.Single command) {
    return call(() -> write(command).thenApply(reply -> revisionOf(command.key(), reply)))
        .onComplete(ignored -> nonces.finish(command.nonce()));
  }

  @Override
  public Future<Optional<Value>> get(String key, boolean stale) {
    StrongCommand.Single command = new StrongCommand.Get(nonce(), key);
    Mode mode = stale || readsFromLocalState ? Mode.STALE_READ : Mode.LINEARIZABLE_READ;
    return call(() -> read(command, mode).thenApply(RatisStrongKeys::valueOf));
  }

  /** Writes go through their group's batcher: alone when the group is idle, batched if not. */
  private CompletableFuture<StrongReply> write(StrongCommand.Single command) {
    Active current = active;
    if (current == null) {
      return notPlaced();
    }
    Placement.Group group = current.placement().groupOf(command.key());
    long deadline = System.nanoTime() + tuning.requestDeadline().toNanos();
    return current.writers().get(group.index()).submit(command, deadline);
  }

  private CompletableFuture<StrongReply> read(StrongCommand.Single command, Mode mode) {
    Active current = active;
    if (current == null) {
      return notPlaced();
    }
    Placement.Group group = current.placement().groupOf(command.key());
    StrongStateMachine local = machines.get(group.raftId());
    if (mode == Mode.STALE_READ && local != null) {
      return local.read(command.key());
    }
    long deadline = System.nanoTime() + tuning.requestDeadline().toNanos();
    if (mode == Mode.LINEARIZABLE_READ) {
      return current.readers().get(group.index()).submit(command, deadline);
    }
    return groupCalls.send(
        group, current.readClients().get(group.index()), command, mode, deadline);
  }

  /** Reads another node sent to this one as the group's leader ({@link LeaderReads#forward}). */
  private CompletableFuture<Optional<StrongReply>> readAsLeader(UUID raftId, StrongCommand reads) {
    Active current = active;
    Optional<Placement.Group> group =
        current == null
            ? Optional.empty()
            : current.placement().groups().stream()
                .filter(g -> g.raftId().equals(raftId))
                .findFirst();
    if (group.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return leaderReads.readForwarded(
        group.get(), current.readClients().get(group.get().index()), reads);
  }

  private static CompletableFuture<StrongReply> notPlaced() {
    return CompletableFuture.failedFuture(
        StrongKeyException.unavailable(
            "strong keys are not placed yet: the cluster needs "
                + Placement.VOTERS
                + " members with Raft addresses, and every seed to have joined (or "
                + PlacementAgreement.SEEDS_GRACE_MILLIS / 1000
                + " s to have passed)"));
  }

  private static Long revisionOf(String key, StrongReply reply) {
    if (reply instanceof StrongReply.Written written) {
      return written.revision();
    }
    if (reply instanceof StrongReply.PreconditionFailed failed) {
      throw StrongKeyException.preconditionFailed(key, failed.current());
    }
    if (reply instanceof StrongReply.NotFound) {
      throw StrongKeyException.notFound(key);
    }
    throw StrongKeyException.timeout(
        "the write is committed but its result is not known on the replica that answered (it"
            + " was applied before a restart, or that replica's storage failed)");
  }

  private static Optional<Value> valueOf(StrongReply reply) {
    if (reply instanceof StrongReply.Found found) {
      return Optional.of(new Value(found.value(), found.contentType(), found.revision()));
    }
    return Optional.empty();
  }

  /** Runs {@code work} on a client thread; the result completes on the caller's context. */
  private <T> Future<T> call(Supplier<CompletableFuture<T>> work) {
    Context context = Vertx.currentContext();
    CompletableFuture<T> result;
    try {
      result = CompletableFuture.supplyAsync(work, calls).thenCompose(f -> f);
    } catch (RejectedExecutionException e) {
      result =
          CompletableFuture.failedFuture(
              StrongKeyException.unavailable("too many strong-key requests in flight"));
    }
    CompletableFuture<T> unwrapped = new CompletableFuture<>();
    result.whenComplete(
        (value, failure) -> {
          if (failure != null) {
            unwrapped.completeExceptionally(Causes.unwrap(failure));
          } else {
            unwrapped.complete(value);
          }
        });
    return context != null
        ? Future.fromCompletionStage(unwrapped, context)
        : Future.fromCompletionStage(unwrapped);
  }

  private long nonce() {
    return nonces.next();
  }

  // ---- status ------------------------------------------------------------------------------

  /**
   * Publishes the groups' leaders, terms and leader changes in {@code registry} ({@link
   * StrongKeyMetrics}), the first two refreshed every second.
   */
  public void bindMetrics(MeterRegistry registry) {
    StrongKeyMetrics metrics =
        new StrongKeyMetrics(
            groupCount,
            self.id(),
            registry,
            raftId ->
                Optional.ofNullable(leaderChanges.get(UUID.fromString(raftId)))
                    .map(AtomicLong::get)
                    .orElse(0L),
            writeTally,
            readTally);
    statusReader.scheduleWithFixedDelay(
        () -> {
          try {
            metrics.update(groupStatus());
          } catch (RuntimeException e) {
            log.debug("strong-key metrics not refreshed: {}", e.toString());
          }
        },
        0,
        1,
        TimeUnit.SECONDS);
  }

  @Override
  public Future<List<GroupStatus>> groups() {
    Context context = Vertx.currentContext();
    CompletableFuture<List<GroupStatus>> status;
    try {
      status = CompletableFuture.supplyAsync(this::groupStatus, statusReader);
    } catch (RejectedExecutionException e) {
      status = CompletableFuture.completedFuture(List.of());
    }
    return context != null
        ? Future.fromCompletionStage(status, context)
        : Future.fromCompletionStage(status);
  }

  List<GroupStatus> groupStatus() {
    Active current = active;
    if (current == null) {
      return List.of();
    }
    Set<RaftGroupId> hosted = hostedGroups();
    List<GroupStatus> groups = new ArrayList<>();
    for (Placement.Group group : current.placement().groups()) {
      RaftGroupId id = RaftGroupId.valueOf(group.raftId());
      List<String> voters = group.voters().stream().map(RaftMember::id).toList();
      Optional<String> leader = Optional.empty();
      Optional<Long> term = Optional.empty();
      String role = "none";
      if (hosted.contains(id)) {
        try {
          DivisionInfo info = server.getDivision(id).getInfo();
          role = info.getCurrentRole().name().toLowerCase(Locale.ROOT);
          term = Optional.of(info.getCurrentTerm());
          leader = Optional.ofNullable(info.getLeaderId()).map(RaftPeerId::toString);
        } catch (IOException | RuntimeException e) {
          role = "closed";
        }
      } else if (!group.hasVoter(self.id())) {
        Optional<VotersView.Known> told = votersView.known(id);
        leader = told.map(VotersView.Known::leader);
        term = told.map(VotersView.Known::term);
      }
      if (repair.recovering(id)) {
        // Ratis names a stopped division's last role (mostly "follower"), or none at all while
        // the repair has removed it and waits to add it again.
        role = "recovering";
      }
      groups.add(
          new GroupStatus(group.index(), group.raftId().toString(), leader, term, role, voters));
    }
    return groups;
  }

  private void askOtherGroupsVoters() {
    Active current = active;
    if (current == null || closed.get()) {
      return;
    }
    try {
      votersView.refresh(
          current.placement().groups().stream()
              .filter(group -> !group.hasVoter(self.id()))
              .map(RatisStrongKeys::raftGroup)
              .toList());
    } catch (RuntimeException e) {
      log.debug("leaders of other groups not refreshed: {}", e.toString());
    }
  }

  private Set<RaftGroupId> hostedGroups() {
    Set<RaftGroupId> hosted = new HashSet<>();
    server.getGroupIds().forEach(hosted::add);
    return hosted;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private void requestRepair(RaftGroupId id, String reason) {
    if (!closed.get()) {
      repair.request(id, reason);
    }
  }

  /** The Raft group of {@code id}, if this node votes in it. */
  private Optional<RaftGroup> votedGroup(RaftGroupId id) {
    Active current = active;
    if (current == null || closed.get()) {
      return Optional.empty();
    }
    return current.placement().groups().stream()
        .filter(group -> group.hasVoter(self.id()))
        .map(RatisStrongKeys::raftGroup)
        .filter(group -> group.getGroupId().equals(id))
        .findFirst();
  }

  /** Free space on {@code dir}'s file system; unknown counts as plenty (a repair then tries). */
  private static long usableBytes(Path dir) {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  private void retireStateMachine(RaftGroupId id) {
    localLeader.forget(id);
    StrongStateMachine machine = machines.remove(id.getUuid());
    if (machine != null) {
      machine.retire();
    }
  }

  /** Closes the clients and the Raft server (applying what is committed), then the threads. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    setup.shutdownNow();
    statusReader.shutdownNow();
    votersAsker.shutdownNow();
    try {
      votersAsker.awaitTermination(5, TimeUnit.SECONDS); // it may be making a client
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    votersView.close();
    repairs.shutdownNow();
    tripLeases.shutdownNow();
    lookups.shutdownNow();
    Active current = active;
    if (current != null) {
      for (RaftClient client : current.clients()) {
        try {
          client.close();
        } catch (IOException | RuntimeException e) {
          log.debug("closing a Raft client failed: {}", e.toString());
        }
      }
    }
    try {
      server.close();
    } catch (IOException | RuntimeException e) {
      log.warn("closing the Raft server failed: {}", e.toString());
    }
    transport.close();
    calls.shutdown();
    try {
      calls.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicLong count = new AtomicLong();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
