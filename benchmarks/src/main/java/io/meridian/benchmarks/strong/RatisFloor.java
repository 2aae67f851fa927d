package io.meridian.benchmarks.strong;

import io.meridian.benchmarks.core.BenchDirectory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.impl.RaftClientImpl;
import org.apache.ratis.client.impl.UnorderedAsync;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.TimeDuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What Apache Ratis alone costs per write on this machine: three Ratis servers in this JVM on
 * loopback, durable (the log fsyncs before an entry counts, Ratis' default), with a state machine
 * that does nothing, and closed-loop clients sending writes straight to Ratis as strong keys' own
 * calls do ({@link UnorderedAsync}). No HTTP, no storage, no Meridian code on the path.
 *
 * <p>Why: a strong-key write is a trip through Ratis plus Meridian's own work around it (HTTP,
 * batching, the LMDB state machine). This measures the first part alone, the floor under any
 * Meridian figure with Ratis, so that the gap to another store (etcd) splits into what Meridian
 * adds and what Ratis costs. One JVM for all three servers is kinder to Ratis than three processes
 * (no cross-process scheduling), so the floor is if anything low.
 *
 * <p>Usage: {@code RatisFloor [--groups 8] [--clients 1,16,64] [--duration 20] [--warmup 60]
 * [--ratis key=value]...}; the servers' logs go under {@code -Dmeridian.bench.dir}. Prints one line
 * of JSON per client count: writes per second and latency percentiles in microseconds.
 */
@Command(name = "ratis-floor", mixinStandardHelpOptions = true)
public final class RatisFloor implements Callable<Integer> {
  @Option(names = "--groups", description = "Raft groups, writes spread evenly over them")
  int groups = 8;

  @Option(names = "--clients", split = ",", description = "closed-loop clients, one run each")
  int[] clients = {1, 16, 64};

  @Option(names = "--duration", description = "measured seconds per run")
  int durationSeconds = 20;

  @Option(names = "--warmup", description = "seconds of untimed load first, for the JIT")
  int warmupSeconds = 60;

  @Option(names = "--value-bytes", description = "bytes per write")
  int valueBytes = 100;

  @Option(
      names = "--ratis",
      description = "a Ratis server property over the defaults, key=value (repeatable)")
  Map<String, String> overrides = new LinkedHashMap<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new RatisFloor()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path dir = BenchDirectory.create("ratis-floor"); // on a disk: the fsyncs are the point
    List<RaftPeer> peers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      peers.add(RaftPeer.newBuilder().setId("s" + i).setAddress("127.0.0.1:" + freePort()).build());
    }
    List<RaftGroup> raftGroups = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      raftGroups.add(RaftGroup.valueOf(RaftGroupId.valueOf(new UUID(0x526174697346L, g)), peers));
    }
    List<RaftServer> servers = new ArrayList<>();
    List<RaftClientImpl> raftClients = new ArrayList<>();
    try {
      for (RaftPeer peer : peers) {
        RaftServer server =
            RaftServer.newBuilder()
                .setServerId(peer.getId())
                .setProperties(
                    serverProperties(dir.resolve(peer.getId().toString()), peer, overrides))
                .setStateMachineRegistry(group -> new NothingStateMachine())
                .setOption(RaftStorage.StartupOption.FORMAT)
                .build();
        server.start();
        servers.add(server);
      }
      ClientId admin = ClientId.randomId();
      long callId = 0;
      List<CompletableFuture<?>> adds = new ArrayList<>();
      for (RaftServer server : servers) {
        for (RaftGroup group : raftGroups) {
          adds.add(
              server.groupManagementAsync(
                  GroupManagementRequest.newAdd(admin, server.getId(), ++callId, group)));
        }
      }
      CompletableFuture.allOf(adds.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      RaftProperties clientProperties = new RaftProperties();
      for (RaftGroup group : raftGroups) {
        RaftClient client =
            RaftClient.newBuilder()
                .setRaftGroup(group)
                .setProperties(clientProperties)
                .setClientId(ClientId.randomId())
                .build();
        raftClients.add((RaftClientImpl) client); // UnorderedAsync takes the implementation
        client.io().send(Message.valueOf("ready")); // waits for a leader
      }
      load(raftClients, 64, warmupSeconds);
      for (int count : clients) {
        load(raftClients, count, 2); // untimed: the queues settle at this client count first
        Histogram latency = load(raftClients, count, durationSeconds);
        System.out.printf(
            "{\"groups\": %d, \"clients\": %d, \"writesPerSecond\": %.0f, \"p50Micros\": %d,"
                + " \"p99Micros\": %d}%n",
            groups,
            count,
            latency.getTotalCount() / (double) durationSeconds,
            latency.getValueAtPercentile(50),
            latency.getValueAtPercentile(99));
      }
      return 0;
    } finally {
      for (RaftClient client : raftClients) {
        client.close();
      }
      for (RaftServer server : servers) {
        server.close();
      }
      BenchDirectory.deleteRecursively(dir);
    }
  }

  /** Runs {@code count} closed-loop clients for {@code seconds}; their latencies. */
  private Histogram load(List<RaftClientImpl> raftClients, int count, int seconds)
      throws InterruptedException {
    Recorder recorder = new Recorder(3);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong failures = new AtomicLong();
    Message value = Message.valueOf("v".repeat(valueBytes));
    for (int i = 0; i < count; i++) {
      next(raftClients, value, recorder, running, failures);
    }
    recorder.reset();
    TimeUnit.SECONDS.sleep(seconds);
    Histogram measured = recorder.getIntervalHistogram();
    running.set(false);
    TimeUnit.MILLISECONDS.sleep(500); // lets the writes in flight return
    if (failures.get() > 0) {
      throw new IllegalStateException(failures.get() + " writes failed");
    }
    return measured;
  }

  private static void next(
      List<RaftClientImpl> raftClients,
      Message value,
      Recorder recorder,
      AtomicBoolean running,
      AtomicLong failures) {
    if (!running.get()) {
      return;
    }
    RaftClientImpl client =
        raftClients.get(ThreadLocalRandom.current().nextInt(raftClients.size()));
    long start = System.nanoTime();
    UnorderedAsync.send(RaftClientRequest.writeRequestType(), value, null, client)
        .whenComplete(
            (reply, failure) -> {
              if (failure != null || !reply.isSuccess()) {
                failures.incrementAndGet();
                return;
              }
              recorder.recordValue((System.nanoTime() - start) / 1_000);
              next(raftClients, value, recorder, running, failures);
            });
  }

  /**
   * Ratis' defaults (durable log) with strong keys' election timeouts and without the commit-index
   * metadata entries they also turn off.
   */
  private static RaftProperties serverProperties(
      Path storage, RaftPeer peer, Map<String, String> overrides) {
    RaftProperties properties = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(properties, List.of(storage.toFile()));
    GrpcConfigKeys.Server.setHost(properties, "127.0.0.1");
    GrpcConfigKeys.Server.setPort(
        properties, Integer.parseInt(peer.getAddress().substring("127.0.0.1:".length())));
    RaftServerConfigKeys.Rpc.setTimeoutMin(
        properties, TimeDuration.valueOf(1500, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(
        properties, TimeDuration.valueOf(3000, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Log.setLogMetadataEnabled(properties, false);
    overrides.forEach(properties::set);
    return properties;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Applies every entry by doing nothing: the log's cost alone. */
  private static final class NothingStateMachine extends BaseStateMachine {
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext transaction) {
      LogEntryProto entry = transaction.getLogEntry();
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
  }
}
