package io.meridian.replication;

import io.meridian.core.DataKey;
import io.meridian.core.MerkleIndex;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One anti-entropy comparison: this node and a peer reconcile one token range of one keyspace.
 *
 * <p>Walks the {@link MerkleIndex} from the root. A tree node the range covers fully is compared by
 * hash (batched, one round trip per batch) and opened only if the hashes differ; a node the range
 * covers partly is opened without comparing, since its hash includes keys outside the range. A leaf
 * that differs, or that the range covers only partly, is settled by exchanging key digests for its
 * part of the range. For every key whose digests differ, each side sends the other its state (push
 * and pull), throttled by the owner's budget; joins make both equal.
 */
final class RangeComparison {
  private static final int MAX_NODES_PER_REQUEST = 4096;
  private static final int MAX_RANGES_PER_REQUEST = 256;
  private static final int MAX_KEYS_PER_PULL = 500;

  private enum Phase {
    WALKING,
    AWAITING_HASHES,
    AWAITING_DIGESTS,
    DONE
  }

  private final AntiEntropy owner;
  private final long sessionId;
  private final AntiEntropy.Task task;
  private final boolean dryRun;
  private final Deque<int[]> frontier = new ArrayDeque<>();
  private final Deque<long[]> leafRanges = new ArrayDeque<>();
  private final Deque<DataKey> toPush = new ArrayDeque<>();
  private final Deque<DataKey> toPull = new ArrayDeque<>();
  private List<int[]> comparedNodes = List.of();
  private long[][] requestedRanges = new long[0][];
  private Phase phase = Phase.WALKING;
  private long deadline;
  private int pushesInFlight;
  private long keysRepaired;
  private long differences;
  private long bytesSent;

  RangeComparison(AntiEntropy owner, long sessionId, AntiEntropy.Task task, boolean dryRun) {
    this.owner = owner;
    this.sessionId = sessionId;
    this.task = task;
    this.dryRun = dryRun;
  }

  long sessionId() {
    return sessionId;
  }

  String peer() {
    return task.peer();
  }

  long keysRepaired() {
    return keysRepaired;
  }

  long differences() {
    return differences;
  }

  long bytesSent() {
    return bytesSent;
  }

  void start() {
    frontier.add(new int[] {0, 0});
    walk();
  }

  /** Opens partly covered nodes and sends the next batch of hashes or digests to compare. */
  private void walk() {
    phase = Phase.WALKING;
    List<int[]> compare = new ArrayList<>();
    while (!frontier.isEmpty() && compare.size() < MAX_NODES_PER_REQUEST) {
      int[] node = frontier.poll();
      int level = node[0];
      int index = node[1];
      long first = MerkleIndex.firstToken(level, index);
      long last = MerkleIndex.lastToken(level, index);
      int overlap = firstRangeEndingAtOrAfter(first);
      List<long[]> ranges = task.ranges();
      if (overlap == ranges.size() || ranges.get(overlap)[0] > last) {
        continue;
      }
      long[] range = ranges.get(overlap);
      if (range[0] <= first && range[1] >= last) {
        compare.add(node);
      } else if (level < MerkleIndex.LEVELS) {
        openChildren(level, index);
      } else if (!handOffHoldsNothingUnder(level, index)) {
        for (int i = overlap; i < ranges.size() && ranges.get(i)[0] <= last; i++) {
          leafRanges.add(
              new long[] {Math.max(first, ranges.get(i)[0]), Math.min(last, ranges.get(i)[1])});
        }
      }
    }
    if (!compare.isEmpty()) {
      requestHashes(compare);
    } else if (!leafRanges.isEmpty()) {
      requestDigests();
    } else {
      finishWhenShipped();
    }
  }

  /** A hand-off only sends, so a Merkle node under which this node holds nothing has no work. */
  private boolean handOffHoldsNothingUnder(int level, int index) {
    return task.handOff() && owner.replica().merkle().hash(task.keyspace(), level, index) == 0;
  }

  /** The index of the first of the task's sorted ranges that ends at or after {@code token}. */
  private int firstRangeEndingAtOrAfter(long token) {
    List<long[]> ranges = task.ranges();
    int low = 0;
    int high = ranges.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (ranges.get(mid)[1] < token) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  private void openChildren(int level, int index) {
    for (int child = 0; child < MerkleIndex.FAN_OUT; child++) {
      frontier.add(new int[] {level + 1, index * MerkleIndex.FAN_OUT + child});
    }
  }

  private void requestHashes(List<int[]> nodes) {
    comparedNodes = nodes;
    int[] levels = new int[nodes.size()];
    int[] indexes = new int[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      levels[i] = nodes.get(i)[0];
      indexes[i] = nodes.get(i)[1];
    }
    await(Phase.AWAITING_HASHES);
    owner
        .runtime()
        .send(task.peer(), new PeerMessage.TreeHashes(sessionId, task.keyspace(), levels, indexes));
  }

  void onTreeHashes(long[] theirs) {
    if (phase != Phase.AWAITING_HASHES || theirs.length != comparedNodes.size()) {
      return;
    }
    MerkleIndex merkle = owner.replica().merkle();
    for (int i = 0; i < theirs.length; i++) {
      int level = comparedNodes.get(i)[0];
      int index = comparedNodes.get(i)[1];
      if (merkle.hash(task.keyspace(), level, index) == theirs[i]
          || handOffHoldsNothingUnder(level, index)) {
        continue;
      }
      if (level < MerkleIndex.LEVELS) {
        openChildren(level, index);
      } else {
        leafRanges.add(
            new long[] {MerkleIndex.firstToken(level, index), MerkleIndex.lastToken(level, index)});
      }
    }
    walk();
  }

  private void requestDigests() {
    int count = Math.min(MAX_RANGES_PER_REQUEST, leafRanges.size());
    requestedRanges = new long[count][];
    long[] firsts = new long[count];
    long[] lasts = new long[count];
    for (int i = 0; i < count; i++) {
      requestedRanges[i] = leafRanges.poll();
      firsts[i] = requestedRanges[i][0];
      lasts[i] = requestedRanges[i][1];
    }
    await(Phase.AWAITING_DIGESTS);
    owner
        .runtime()
        .send(
            task.peer(), new PeerMessage.DigestRequest(sessionId, task.keyspace(), firsts, lasts));
  }

  void onDigests(List<PeerMessage.Digest> theirs) {
    if (phase != Phase.AWAITING_DIGESTS) {
      return;
    }
    phase = Phase.WALKING;
    long[] firsts = new long[requestedRanges.length];
    long[] lasts = new long[requestedRanges.length];
    for (int i = 0; i < requestedRanges.length; i++) {
      firsts[i] = requestedRanges[i][0];
      lasts[i] = requestedRanges[i][1];
    }
    owner
        .digests(task.keyspace(), firsts, lasts)
        .onSuccess(
            mine -> {
              reconcile(mine, theirs);
              walk();
            })
        .onFailure(failure -> end(false));
  }

  /** Queues the keys whose digests differ: ours go to the peer, theirs come to us. */
  private void reconcile(List<PeerMessage.Digest> mine, List<PeerMessage.Digest> theirs) {
    Map<DataKey, Long> ours = new HashMap<>();
    for (PeerMessage.Digest digest : mine) {
      ours.put(digest.key(), digest.hash());
    }
    Set<DataKey> differing = new HashSet<>();
    Set<DataKey> theirKeys = new HashSet<>();
    for (PeerMessage.Digest digest : theirs) {
      theirKeys.add(digest.key());
      Long hash = ours.get(digest.key());
      if (hash == null && task.handOff()) {
        continue; // a key this node never held is none of its hand-off's business
      }
      if (hash == null || hash != digest.hash()) {
        differing.add(digest.key());
      }
    }
    for (DataKey key : ours.keySet()) {
      if (!theirKeys.contains(key)) {
        differing.add(key);
      }
    }
    differences += differing.size();
    if (dryRun) {
      return;
    }
    keysRepaired += differing.size();
    for (DataKey key : differing) {
      if (ours.containsKey(key)) {
        toPush.add(key);
      }
      if (theirKeys.contains(key) && !task.handOff()) {
        toPull.add(key);
      }
    }
  }

  /** Ships queued states within the throttle; times out a peer that stopped answering. */
  void onTick(long now) {
    if ((phase == Phase.AWAITING_HASHES || phase == Phase.AWAITING_DIGESTS) && now > deadline) {
      end(false);
      return;
    }
    ship();
    if (phase == Phase.DONE) {
      finishWhenShipped();
    }
  }

  private void ship() {
    int granted = owner.takeKeyBudget(toPush.size() + toPull.size());
    while (granted > 0 && !toPull.isEmpty()) {
      List<DataKey> batch = new ArrayList<>();
      while (granted > 0 && !toPull.isEmpty() && batch.size() < MAX_KEYS_PER_PULL) {
        batch.add(toPull.poll());
        granted--;
      }
      owner.runtime().send(task.peer(), new PeerMessage.PushRequest(batch));
    }
    while (granted > 0 && !toPush.isEmpty()) {
      DataKey key = toPush.poll();
      granted--;
      pushesInFlight++;
      owner
          .runtime()
          .onNode(owner.replica().read(key))
          .onComplete(
              read -> {
                pushesInFlight--;
                if (read.succeeded() && read.result().isPresent()) {
                  int size = AntiEntropy.encodedSize(read.result().get());
                  bytesSent += size;
                  owner.spendBytes(task.peer(), size);
                  owner
                      .runtime()
                      .send(task.peer(), new PeerMessage.Repair(key, read.result().get()));
                }
              });
    }
  }

  private void finishWhenShipped() {
    phase = Phase.DONE;
    if (toPush.isEmpty() && toPull.isEmpty() && pushesInFlight == 0) {
      end(true);
    }
  }

  private void await(Phase awaited) {
    phase = awaited;
    deadline = owner.runtime().now() + owner.timeoutMillis();
  }

  private boolean ended;

  private void end(boolean succeeded) {
    if (!ended) {
      ended = true;
      phase = Phase.DONE;
      owner.taskDone(succeeded);
    }
  }
}
