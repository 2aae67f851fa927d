package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.meridian.replication.strong.History;
import io.meridian.replication.strong.History.Op;
import io.meridian.replication.strong.History.Outcome;
import io.meridian.replication.strong.Placement;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The strong-key workload as a process of its own, for clients that must live where the nodes can
 * be reached: the hub network namespace of {@code strong-partition.sh}, whose driver starts it with
 * {@code ip netns exec <hub> java -cp <test classpath> io.meridian.gateway.StrongWorkloadProcess}.
 * It runs {@link StrongWorkload} against every node, plus two kinds of probes: one per node writes
 * a key of one Raft group through that node unless it is the one to be cut off (when does the
 * majority side write again?), and {@code --minority-probes} threads write the workload keys
 * through the cut-off node while the cut lasts (what does the minority answer?). Once told to stop,
 * it reads every key through every node. The history goes to a file, one JSON line per operation
 * with the node it went to; {@code StrongPartitionIT} checks it.
 *
 * <p>Times in the history are wall-clock nanoseconds since the epoch (a monotonic clock anchored to
 * the wall clock at start), so that they compare with the cut and heal times the driver script
 * takes with {@code date}.
 *
 * <p>The driver steers it through files in the control directory: {@code victim} holds the index
 * (from 0) of the node to be cut off, read before every probe write; {@code cut} exists while the
 * cut lasts; {@code stop} ends the workload. It writes {@code running} once its clients have
 * started.
 *
 * <p>Arguments, all required: {@code --nodes id=http://host:port,...} {@code --history FILE} {@code
 * --control DIR} {@code --clients N} {@code --keys N} {@code --groups N} {@code --probe-group G}
 * {@code --minority-probes N} {@code --seed S}. Exits 0 once the history is written, 1 when a final
 * read could not be made, 2 on bad arguments.
 */
final class StrongWorkloadProcess {
  private static final Duration FINAL_READ_WITHIN = Duration.ofSeconds(60);
  private static final Duration PROBE_PAUSE_AFTER_SUCCESS = Duration.ofMillis(50);
  private static final Duration PROBE_PAUSE_AFTER_FAILURE = Duration.ofMillis(20);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
  private static final List<String> OPTIONS =
      List.of(
          "nodes",
          "history",
          "control",
          "clients",
          "keys",
          "groups",
          "probe-group",
          "minority-probes",
          "seed");

  private StrongWorkloadProcess() {}

  /** Nodes in network namespaces, by base URI. */
  private record Endpoints(List<String> ids, List<URI> bases) implements StrongWorkload.Nodes {
    Endpoints {
      ids = List.copyOf(ids);
      bases = List.copyOf(bases);
    }

    static Endpoints parse(String list) {
      List<String> ids = new ArrayList<>();
      List<URI> bases = new ArrayList<>();
      for (String node : list.split(",")) {
        String[] parts = node.split("=", 2);
        ids.add(parts[0]);
        bases.add(URI.create(parts[1]));
      }
      return new Endpoints(ids, bases);
    }

    @Override
    public int size() {
      return ids.size();
    }

    @Override
    public String id(int node) {
      return ids.get(node);
    }

    @Override
    public URI uri(int node, String pathAndQuery) {
      return bases.get(node).resolve(pathAndQuery);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    if (!options.keySet().containsAll(OPTIONS)) {
      System.err.println("StrongWorkloadProcess: the options are --" + String.join(" --", OPTIONS));
      System.exit(2);
    }
    Endpoints nodes = Endpoints.parse(options.get("nodes"));
    Path control = Path.of(options.get("control"));
    int keys = Integer.parseInt(options.get("keys"));
    String probeKey =
        probeKey(
            Integer.parseInt(options.get("probe-group")), Integer.parseInt(options.get("groups")));
    // nanoTime() - origin = nanoseconds since the epoch.
    long origin = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    boolean complete;
    try (History.Recorder recorder = new History.Recorder(Path.of(options.get("history")))) {
      StrongWorkload workload = new StrongWorkload(nodes, recorder, keys, origin);
      int clients = Integer.parseInt(options.get("clients"));
      workload.start(clients, Long.parseLong(options.get("seed")));
      AtomicBoolean stopping = new AtomicBoolean();
      List<Thread> probes = new ArrayList<>();
      for (int node = 0; node < nodes.size(); node++) {
        probes.add(probe(node, workload, recorder, nodes, probeKey, control, stopping));
      }
      for (int t = 0; t < Integer.parseInt(options.get("minority-probes")); t++) {
        probes.add(minorityProbe(t, workload, recorder, nodes, keys, control, stopping));
      }
      Files.writeString(control.resolve("running"), "", UTF_8);
      log("%d clients over %d keys, probe key %s, nodes %s", clients, keys, probeKey, nodes);
      awaitStop(control, recorder);
      stopping.set(true);
      workload.close();
      for (Thread probe : probes) {
        probe.join(StrongWorkload.REQUEST_TIMEOUT.plusSeconds(5).toMillis());
      }
      log("workload stopped: %s; final reads", progress(recorder.ops()));
      List<String> allKeys = new ArrayList<>();
      for (int k = 0; k < keys; k++) {
        allKeys.add(StrongWorkload.key(k));
      }
      allKeys.add(probeKey);
      complete = finalReads(workload, recorder, nodes, allKeys);
      log("history: %s", progress(recorder.ops()));
    }
    System.exit(complete ? 0 : 1);
  }

  /** Waits for the stop file, printing progress now and then. */
  private static void awaitStop(Path control, History.Recorder recorder)
      throws InterruptedException {
    long nextProgress = System.nanoTime();
    while (!Files.exists(control.resolve("stop"))) {
      if (System.nanoTime() - nextProgress >= 0) {
        nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
        log("%s", progress(recorder.ops()));
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  /** The first key {@code probe-<n>} of Raft group {@code group}. */
  static String probeKey(int group, int groups) {
    for (int n = 0; ; n++) {
      String key = "probe-" + n;
      if (Placement.groupIndex(key, groups) == group) {
        return key;
      }
    }
  }

  /**
   * Writes a unique value to {@code key} through node {@code node}, one write at a time, until
   * stopped; pauses while that node is the victim. One such probe per node: each node's Raft client
   * finds a new leader on its own, so their acknowledgements show, node by node, when writes of the
   * group stalled on the majority side.
   */
  private static Thread probe(
      int node,
      StrongWorkload workload,
      History.Recorder recorder,
      Endpoints nodes,
      String key,
      Path control,
      AtomicBoolean stopping) {
    String process = "probe-" + nodes.id(node);
    Thread probe =
        new Thread(
            () -> {
              HttpClient http = probeClient();
              for (long sequence = 1; !stopping.get(); sequence++) {
                if (victim(control) == node) {
                  LockSupport.parkNanos(PROBE_PAUSE_AFTER_SUCCESS.toNanos());
                  continue;
                }
                Op op = workload.write(http, process, node, key, process + "-" + sequence, 0);
                recorder.record(op, nodes.id(node));
                Duration pause =
                    op.outcome() == Outcome.OK
                        ? PROBE_PAUSE_AFTER_SUCCESS
                        : PROBE_PAUSE_AFTER_FAILURE;
                LockSupport.parkNanos(pause.toNanos());
              }
            },
            "strong-" + process);
    probe.setDaemon(true);
    probe.start();
    return probe;
  }

  private static HttpClient probeClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  /**
   * While the cut lasts, writes a unique value to the workload keys in turn through the cut-off
   * node: every answer it gets there must be 503 or 504.
   */
  private static Thread minorityProbe(
      int index,
      StrongWorkload workload,
      History.Recorder recorder,
      Endpoints nodes,
      int keys,
      Path control,
      AtomicBoolean stopping) {
    String process = "minority-" + index;
    Thread probe =
        new Thread(
            () -> {
              HttpClient http = probeClient();
              for (long sequence = 1; !stopping.get(); sequence++) {
                int victim = victim(control);
                if (!Files.exists(control.resolve("cut")) || victim >= nodes.size()) {
                  LockSupport.parkNanos(PROBE_PAUSE_AFTER_SUCCESS.toNanos());
                  continue;
                }
                String key = StrongWorkload.key((int) ((sequence + index) % keys));
                Op op = workload.write(http, process, victim, key, process + "-" + sequence, 0);
                recorder.record(op, nodes.id(victim));
                LockSupport.parkNanos(PROBE_PAUSE_AFTER_FAILURE.toNanos());
              }
            },
            "strong-" + process);
    probe.setDaemon(true);
    probe.start();
    return probe;
  }

  private static int victim(Path control) {
    try {
      return Integer.parseInt(Files.readString(control.resolve("victim"), UTF_8).trim());
    } catch (IOException | NumberFormatException e) {
      return Integer.MAX_VALUE;
    }
  }

  /** Reads every key through every node until each read answers; false if one never does. */
  private static boolean finalReads(
      StrongWorkload workload, History.Recorder recorder, Endpoints nodes, List<String> keys)
      throws InterruptedException {
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    for (String key : keys) {
      for (int node = 0; node < nodes.size(); node++) {
        long deadline = System.nanoTime() + FINAL_READ_WITHIN.toNanos();
        Op read = workload.read(http, "final", node, key);
        while (read.outcome() != Outcome.OK && System.nanoTime() - deadline < 0) {
          TimeUnit.MILLISECONDS.sleep(200);
          read = workload.read(http, "final", node, key);
        }
        if (read.outcome() != Outcome.OK) {
          log(
              "FAILED: no final read of %s through %s within %s",
              key, nodes.id(node), FINAL_READ_WITHIN);
          return false;
        }
        recorder.record(read, nodes.id(node));
      }
    }
    return true;
  }

  private static String progress(List<Op> ops) {
    Map<Outcome, Integer> counts = new HashMap<>();
    for (Op op : ops) {
      counts.merge(op.outcome(), 1, Integer::sum);
    }
    return ops.size() + " operations " + counts;
  }

  private static void log(String format, Object... args) {
    System.out.printf("[clients] " + format + "%n", args);
    System.out.flush();
  }
}
