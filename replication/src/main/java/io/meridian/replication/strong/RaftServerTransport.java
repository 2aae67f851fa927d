package io.meridian.replication.strong;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.thirdparty.io.netty.channel.EventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.ServerChannel;
import org.apache.ratis.thirdparty.io.netty.channel.epoll.Epoll;
import org.apache.ratis.thirdparty.io.netty.channel.epoll.EpollEventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.epoll.EpollServerSocketChannel;
import org.apache.ratis.thirdparty.io.netty.channel.nio.NioEventLoopGroup;
import org.apache.ratis.thirdparty.io.netty.channel.socket.nio.NioServerSocketChannel;
import org.apache.ratis.thirdparty.io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The network threads of this node's Raft server: event loops of its own, on which the server's
 * gRPC calls are handled as they are read (a direct executor) instead of being handed to gRPC's
 * shared thread pool.
 *
 * <p>Why its own loops: by default gRPC runs every server and every channel of the process on one
 * shared set of event loops, so a call handled on the loop would also hold up the replies this
 * node's own Raft clients and log appenders wait for, and a Ratis handler that waits for the
 * server's lock while the lock's holder waits for such a reply would stall both until a timeout.
 * Here a waiting handler holds up only inbound Raft calls; the replies to this node's outbound
 * calls still arrive on gRPC's loops.
 */
final class RaftServerTransport implements AutoCloseable {
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Class<? extends ServerChannel> channelType;

  RaftServerTransport(int workerThreads) {
    if (Epoll.isAvailable()) {
      boss = new EpollEventLoopGroup(1, threads("raft-server-accept"));
      workers = new EpollEventLoopGroup(workerThreads, threads("raft-server-io"));
      channelType = EpollServerSocketChannel.class;
    } else {
      boss = new NioEventLoopGroup(1, threads("raft-server-accept"));
      workers = new NioEventLoopGroup(workerThreads, threads("raft-server-io"));
      channelType = NioServerSocketChannel.class;
    }
  }

  /** The server builder's parameters that put its gRPC services on these loops. */
  Parameters parameters() {
    Parameters parameters = new Parameters();
    GrpcConfigKeys.Server.setServicesCustomizer(
        parameters,
        (builder, services) ->
            builder
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .channelType(channelType)
                .directExecutor());
    return parameters;
  }

  /** Stops the loops; after the Raft server is closed (gRPC leaves loops it was given running). */
  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private static ThreadFactory threads(String name) {
    return new DefaultThreadFactory(name, true);
  }
}
