package io.meridian.replication;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Sets of ring tokens as sorted, disjoint, inclusive ranges {@code [first, last]}, for what a node
 * replicates and what it gave up. Bounds are inclusive so that {@code Long.MAX_VALUE} is a token
 * like any other; nothing here adds one past it.
 */
final class TokenRanges {
  private TokenRanges() {}

  /** {@code ranges} sorted, with overlapping and adjacent ranges joined. */
  static List<long[]> normalized(List<long[]> ranges) {
    List<long[]> sorted = new ArrayList<>(ranges);
    sorted.sort(Comparator.comparingLong(range -> range[0]));
    List<long[]> joined = new ArrayList<>();
    for (long[] range : sorted) {
      long[] last = joined.isEmpty() ? null : joined.get(joined.size() - 1);
      if (last != null && (last[1] == Long.MAX_VALUE || last[1] + 1 >= range[0])) {
        last[1] = Math.max(last[1], range[1]);
      } else {
        joined.add(new long[] {range[0], range[1]});
      }
    }
    return joined;
  }

  /** The tokens in either of {@code a} and {@code b}, normalized. */
  static List<long[]> union(List<long[]> a, List<long[]> b) {
    List<long[]> all = new ArrayList<>(a);
    all.addAll(b);
    return normalized(all);
  }

  /** The tokens in {@code from} that are not in {@code taken}; both normalized. */
  static List<long[]> minus(List<long[]> from, List<long[]> taken) {
    List<long[]> left = new ArrayList<>();
    for (long[] range : from) {
      long first = range[0];
      boolean rest = true;
      for (long[] cut : taken) {
        if (cut[1] < first || cut[0] > range[1]) {
          continue;
        }
        if (cut[0] > first) {
          left.add(new long[] {first, cut[0] - 1});
        }
        if (cut[1] >= range[1]) {
          rest = false;
          break;
        }
        first = cut[1] + 1;
      }
      if (rest) {
        left.add(new long[] {first, range[1]});
      }
    }
    return left;
  }

  /** The tokens both in {@code first..last} and in {@code ranges} (normalized). */
  static List<long[]> within(long first, long last, List<long[]> ranges) {
    List<long[]> overlap = new ArrayList<>();
    for (long[] range : ranges) {
      if (range[1] >= first && range[0] <= last) {
        overlap.add(new long[] {Math.max(first, range[0]), Math.min(last, range[1])});
      }
    }
    return overlap;
  }
}
