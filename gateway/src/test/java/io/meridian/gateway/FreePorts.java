package io.meridian.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Ports for node processes that are started, killed and restarted on the same ports. They are taken
 * below the kernel's ephemeral range: a port the kernel hands out for {@code bind(0)} (as {@link
 * TestNode#freePort} does) can, moments later, become the source port of any outgoing connection on
 * a busy box, and a node would then fail to bind it at start or after a restart.
 */
final class FreePorts {
  private static final int LOW = 10_000;
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  private FreePorts() {}

  /** {@code count} distinct ports that nothing is bound to at the time of the call. */
  static List<Integer> take(int count) {
    int high = ephemeralLow();
    Set<Integer> ports = new LinkedHashSet<>();
    if (high - LOW < 100 * count) {
      while (ports.size() < count) {
        ports.add(TestNode.freePort());
      }
      return List.copyOf(ports);
    }
    SplittableRandom random = new SplittableRandom();
    while (ports.size() < count) {
      int port = random.nextInt(LOW, high);
      if (!ports.contains(port) && isFree(port)) {
        ports.add(port);
      }
    }
    return List.copyOf(ports);
  }

  /**
   * A port {@code base} such that {@code base + offset} is free for every offset (as {@code
   * local-cluster --base-port} lays its nodes' ports out).
   */
  static int baseWithFree(int... offsets) {
    int high = ephemeralLow();
    int maxOffset = Arrays.stream(offsets).max().orElse(0);
    SplittableRandom random = new SplittableRandom();
    while (true) {
      int base = random.nextInt(LOW, Math.max(LOW + 1, high - maxOffset));
      if (Arrays.stream(offsets).allMatch(offset -> isFree(base + offset))) {
        return base;
      }
    }
  }

  /** The first port of {@code net.ipv4.ip_local_port_range}, or Linux's default. */
  private static int ephemeralLow() {
    try {
      // Line by line: procfs reports a size of 0, and Files.readString then returns one byte.
      return Integer.parseInt(Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32768;
    }
  }

  /** Whether {@code port} can be bound on every address: no listener, no lingering connection. */
  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
