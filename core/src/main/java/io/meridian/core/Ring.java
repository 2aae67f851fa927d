package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A consistent-hash ring with virtual nodes (Karger et al., "Consistent Hashing and Random Trees",
 * STOC 1997) over nodes that live in regions, giving each key a Dynamo-style preference list per
 * region (DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007, section
 * 4.3).
 *
 * <p>Each node owns {@link #vnodesPerNode()} tokens, the first long of MurmurHash3 x64/128 of
 * {@code nodeId + "#" + i}, compared as signed longs like {@link DataKey#token()}. A key's
 * preference list in a region is the first {@code n} distinct nodes of that region met walking
 * clockwise from the first vnode whose token is {@code >=} the key's token, wrapping past the
 * largest token.
 *
 * <p>A node's tokens depend on its id alone, so the ring is a function of the set of nodes, and
 * adding a node only inserts its vnodes into the walk: every key's preference list changes only by
 * gaining the new node (and losing its last member), and every key whose first replica changes
 * moves to the new node. Removal is the exact inverse. Choosing tokens with knowledge of the other
 * nodes (Cassandra's token allocator, or picking the best of several candidates against the current
 * ring) balances better, but then the ring depends on the order in which nodes joined, or a join
 * moves other nodes' tokens and with them keys between old nodes. So the balance is set by the
 * token count alone: a node's share is a sum of {@code vnodesPerNode} random arcs and spreads with
 * a coefficient of variation near {@code 1/sqrt(vnodesPerNode)}. With 128 vnodes the most loaded of
 * nine or ten nodes holds about 1.15 times the mean share, at times 1.2 or more; with 1024 vnodes
 * it stays near 1.05 (measured in {@code RingTest}).
 *
 * <p>Each region has its own sorted token array, so a lookup is one binary search, O(log vnodes),
 * and the walk never visits vnodes of other regions; it skips vnodes of nodes already chosen with a
 * per-lookup mark array, never allocating per vnode. Rings are immutable and thread-safe; {@link
 * #with} and {@link #without} rebuild only the region that changes.
 */
public final class Ring {
  /** Upper bound of {@link #vnodesPerNode()}, so a region's token array stays a plain array. */
  public static final int MAX_VNODES_PER_NODE = 1 << 16;

  /** A member of the ring: a node id, unique in the ring, and the region the node lives in. */
  public record Node(String id, String region) {
    public Node {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(region, "region");
      if (id.isEmpty()) {
        throw new IllegalArgumentException("node id must not be empty");
      }
      if (region.isEmpty()) {
        throw new IllegalArgumentException("region of node " + id + " must not be empty");
      }
    }
  }

  private final int vnodesPerNode;
  private final SortedMap<String, Node> nodesById;
  private final Set<Node> nodes;
  private final SortedMap<String, RegionRing> regionRings;

  public Ring(Collection<Node> nodes, int vnodesPerNode) {
    this(indexById(nodes), vnodesPerNode, Map.of());
  }

  private Ring(
      SortedMap<String, Node> nodesById,
      int vnodesPerNode,
      Map<String, RegionRing> reusableRegionRings) {
    if (vnodesPerNode < 1 || vnodesPerNode > MAX_VNODES_PER_NODE) {
      throw new IllegalArgumentException(
          "vnodesPerNode must be in [1, " + MAX_VNODES_PER_NODE + "]: " + vnodesPerNode);
    }
    this.vnodesPerNode = vnodesPerNode;
    this.nodesById = Collections.unmodifiableSortedMap(nodesById);
    this.nodes = Collections.unmodifiableSet(new LinkedHashSet<>(nodesById.values()));
    SortedMap<String, SortedSet<String>> idsByRegion = new TreeMap<>();
    for (Node node : nodesById.values()) {
      idsByRegion.computeIfAbsent(node.region(), r -> new TreeSet<>()).add(node.id());
    }
    SortedMap<String, RegionRing> rings = new TreeMap<>();
    idsByRegion.forEach(
        (region, ids) -> {
          RegionRing reusable = reusableRegionRings.get(region);
          rings.put(region, reusable != null ? reusable : RegionRing.build(ids, vnodesPerNode));
        });
    this.regionRings = Collections.unmodifiableSortedMap(rings);
  }

  /** A ring with no nodes; grow it with {@link #with}. */
  public static Ring empty(int vnodesPerNode) {
    return new Ring(List.of(), vnodesPerNode);
  }

  /** The token of a node's {@code index}-th vnode. */
  static long vnodeToken(String nodeId, int index) {
    return MurmurHash3.hash128x64((nodeId + "#" + index).getBytes(UTF_8))[0];
  }

  /** The members, in node-id order. */
  public Set<Node> nodes() {
    return nodes;
  }

  public int vnodesPerNode() {
    return vnodesPerNode;
  }

  /** The regions that have at least one node, sorted. */
  public Set<String> regions() {
    return regionRings.keySet();
  }

  /** A ring that also holds {@code node}; rejects a node whose id is already a member. */
  public Ring with(Node node) {
    Objects.requireNonNull(node, "node");
    if (nodesById.containsKey(node.id())) {
      throw new IllegalArgumentException("node " + node.id() + " is already in the ring");
    }
    SortedMap<String, Node> grown = new TreeMap<>(nodesById);
    grown.put(node.id(), node);
    return new Ring(grown, vnodesPerNode, regionRingsExcept(node.region()));
  }

  /**
   * A ring without the node {@code nodeId}; this ring if it holds no such node, so membership code
   * can remove before it (re-)adds.
   */
  public Ring without(String nodeId) {
    Node removed = nodesById.get(Objects.requireNonNull(nodeId, "nodeId"));
    if (removed == null) {
      return this;
    }
    SortedMap<String, Node> shrunk = new TreeMap<>(nodesById);
    shrunk.remove(nodeId);
    return new Ring(shrunk, vnodesPerNode, regionRingsExcept(removed.region()));
  }

  /**
   * Up to {@code n} distinct node ids of {@code region}, walking clockwise from the first vnode
   * whose token is {@code >= token} (wrapping); all of the region's nodes when it has fewer than
   * {@code n}, none when the region has no nodes. The first id is the key's coordinator.
   */
  public List<String> preferenceList(long token, String region, int n) {
    Objects.requireNonNull(region, "region");
    if (n < 1) {
      throw new IllegalArgumentException("n must be positive: " + n);
    }
    RegionRing ring = regionRings.get(region);
    return ring == null ? List.of() : ring.preferenceList(token, n);
  }

  /** {@link #preferenceList} for every region that has nodes, keyed by region. */
  public SortedMap<String, List<String>> preferenceLists(long token, int n) {
    SortedMap<String, List<String>> lists = new TreeMap<>();
    for (String region : regionRings.keySet()) {
      lists.put(region, preferenceList(token, region, n));
    }
    return Collections.unmodifiableSortedMap(lists);
  }

  /**
   * The token space cut into arcs over which every region's preference list is constant, in token
   * order, covering {@code [Long.MIN_VALUE, Long.MAX_VALUE]} without wrapping; adjacent arcs with
   * the same replicas are merged. Anti-entropy and rebalancing work arc by arc.
   */
  public List<Arc> arcs(int n) {
    TreeSet<Long> ends = new TreeSet<>();
    for (RegionRing ring : regionRings.values()) {
      for (long token : ring.tokens) {
        ends.add(token);
      }
    }
    ends.add(Long.MAX_VALUE);
    List<Arc> arcs = new ArrayList<>();
    long first = Long.MIN_VALUE;
    for (long last : ends) {
      SortedMap<String, List<String>> replicas = preferenceLists(last, n);
      Arc previous = arcs.isEmpty() ? null : arcs.get(arcs.size() - 1);
      if (previous != null && previous.replicas().equals(replicas)) {
        arcs.set(arcs.size() - 1, new Arc(previous.first(), last, replicas));
      } else {
        arcs.add(new Arc(first, last, replicas));
      }
      if (last == Long.MAX_VALUE) {
        break;
      }
      first = last + 1;
    }
    return arcs;
  }

  /** Tokens {@code first..last} (inclusive) and their replicas in every region. */
  public record Arc(long first, long last, SortedMap<String, List<String>> replicas) {
    public boolean contains(long token) {
      return token >= first && token <= last;
    }

    /** Whether {@code nodeId} is one of the arc's replicas, in any region. */
    public boolean isReplicatedBy(String nodeId) {
      return replicas.values().stream().anyMatch(list -> list.contains(nodeId));
    }
  }

  private Map<String, RegionRing> regionRingsExcept(String region) {
    Map<String, RegionRing> others = new TreeMap<>(regionRings);
    others.remove(region);
    return others;
  }

  private static SortedMap<String, Node> indexById(Collection<Node> nodes) {
    SortedMap<String, Node> byId = new TreeMap<>();
    for (Node node : Objects.requireNonNull(nodes, "nodes")) {
      Objects.requireNonNull(node, "node");
      if (byId.put(node.id(), node) != null) {
        throw new IllegalArgumentException("duplicate node id " + node.id());
      }
    }
    return byId;
  }

  /** Rings are equal when they hold the same nodes with the same vnode count. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Ring other
        && vnodesPerNode == other.vnodesPerNode
        && nodesById.equals(other.nodesById);
  }

  @Override
  public int hashCode() {
    return 31 * nodesById.hashCode() + vnodesPerNode;
  }

  @Override
  public String toString() {
    return "Ring{vnodesPerNode=" + vnodesPerNode + ", nodes=" + nodesById.values() + "}";
  }

  /**
   * The vnodes of one region in token order: {@code tokens[i]} belongs to {@code
   * nodeIds[owners[i]]}. Node indexes follow node-id order, so sorting by (token, index) breaks
   * exact token ties by node id and the order never depends on how the ring was built.
   */
  private static final class RegionRing {
    private final String[] nodeIds;
    private final long[] tokens;
    private final int[] owners;

    private RegionRing(String[] nodeIds, long[] tokens, int[] owners) {
      this.nodeIds = nodeIds;
      this.tokens = tokens;
      this.owners = owners;
    }

    static RegionRing build(SortedSet<String> sortedIds, int vnodesPerNode) {
      String[] nodeIds = sortedIds.toArray(new String[0]);
      int size = Math.multiplyExact(nodeIds.length, vnodesPerNode);
      List<long[]> vnodes = new ArrayList<>(size);
      for (int owner = 0; owner < nodeIds.length; owner++) {
        for (int i = 0; i < vnodesPerNode; i++) {
          vnodes.add(new long[] {vnodeToken(nodeIds[owner], i), owner});
        }
      }
      vnodes.sort(
          Comparator.<long[]>comparingLong(vnode -> vnode[0]).thenComparingLong(vnode -> vnode[1]));
      long[] tokens = new long[size];
      int[] owners = new int[size];
      for (int i = 0; i < size; i++) {
        tokens[i] = vnodes.get(i)[0];
        owners[i] = (int) vnodes.get(i)[1];
      }
      return new RegionRing(nodeIds, tokens, owners);
    }

    List<String> preferenceList(long token, int n) {
      int wanted = Math.min(n, nodeIds.length);
      String[] chosen = new String[wanted];
      boolean[] taken = new boolean[nodeIds.length];
      int found = 0;
      int start = firstAtOrAfter(token);
      for (int step = 0; step < tokens.length && found < wanted; step++) {
        int owner = owners[(start + step) % tokens.length];
        if (!taken[owner]) {
          taken[owner] = true;
          chosen[found++] = nodeIds[owner];
        }
      }
      return List.of(chosen);
    }

    /** The index of the first vnode whose token is {@code >= token}, wrapping to 0 past the end. */
    private int firstAtOrAfter(long token) {
      int low = 0;
      int high = tokens.length;
      while (low < high) {
        int mid = (low + high) >>> 1;
        if (Long.compare(tokens[mid], token) < 0) {
          low = mid + 1;
        } else {
          high = mid;
        }
      }
      return low == tokens.length ? 0 : low;
    }
  }
}
