package io.meridian.gateway;

import io.meridian.core.config.ConfigException;
import io.meridian.core.config.MeridianConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks, before a node creates anything, that each address it will listen on is one of this
 * machine's and each port is free, so a configuration that cannot work exits with code 2 naming its
 * key (API.md section 1) instead of failing half-way through start-up: after the Raft server had
 * created its groups' directories, or with a stack trace from deep inside a library.
 *
 * <p>A port can still be taken between this check and the bind; start-up then fails as before,
 * naming the port too ({@link MeridianNode}).
 */
final class ListenAddresses {
  private ListenAddresses() {}

  /** One address the node listens on, and the keys that configure it. */
  private record Endpoint(String hostKey, String host, String portKey, int port) {}

  static void check(MeridianConfig config) {
    MeridianConfig.Cluster cluster = config.cluster();
    List<Endpoint> endpoints = new ArrayList<>();
    endpoints.add(
        new Endpoint("http.host", config.http().host(), "http.port", config.http().port()));
    // The Raft server listens on the cluster host, clustered or not.
    endpoints.add(new Endpoint("cluster.host", cluster.host(), "raft.port", config.raft().port()));
    if (cluster.clustered()) {
      endpoints.add(new Endpoint("cluster.host", cluster.host(), "cluster.port", cluster.port()));
      endpoints.add(
          new Endpoint("cluster.host", cluster.host(), "cluster.busPort", cluster.busPort()));
    }
    List<Listener> checked = new ArrayList<>();
    for (Endpoint endpoint : endpoints) {
      Listener listener = new Listener(endpoint, local(endpoint.hostKey(), endpoint.host()));
      checked.forEach(earlier -> requireApart(earlier, listener));
      requireFree(listener);
      checked.add(listener);
    }
  }

  /** An endpoint and the address its host resolved to. */
  private record Listener(Endpoint endpoint, InetAddress address) {
    /** Whether the two would bind the same port on a shared address (a wildcard shares all). */
    boolean clashesWith(Listener other) {
      return endpoint.port() == other.endpoint.port()
          && (address.isAnyLocalAddress()
              || other.address.isAnyLocalAddress()
              || address.equals(other.address));
    }
  }

  /**
   * Two of the node's own listeners on one port: each port is free before start-up, and whichever
   * server binds second fails after the first has created state (the Raft server its groups'
   * directories), or, for the event bus, after the HTTP server took the port, shares it and answers
   * nothing.
   */
  private static void requireApart(Listener earlier, Listener later) {
    if (later.clashesWith(earlier)) {
      throw new ConfigException(
          later.endpoint().portKey(),
          later.endpoint().port()
              + " is also "
              + earlier.endpoint().portKey()
              + "; each listener needs a port of its own");
    }
  }

  private static InetAddress local(String key, String host) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new ConfigException(key, "'" + host + "' does not resolve to an address");
    }
    try {
      if (address.isAnyLocalAddress()
          || address.isLoopbackAddress()
          || NetworkInterface.getByInetAddress(address) != null) {
        return address;
      }
    } catch (SocketException e) {
      // No interface list to look in: leave it to the bind.
      return address;
    }
    throw new ConfigException(
        key, "'" + host + "' (" + address.getHostAddress() + ") is not an address of this machine");
  }

  private static void requireFree(Listener listener) {
    Endpoint endpoint = listener.endpoint();
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true); // as the servers bind: a port in TIME_WAIT is free
      probe.bind(new InetSocketAddress(listener.address(), endpoint.port()));
    } catch (IOException e) {
      throw new ConfigException(
          endpoint.portKey(),
          endpoint.host() + ":" + endpoint.port() + " is not available (" + e.getMessage() + ")");
    }
  }
}
