package io.meridian.gateway;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Refuses an HTTP/1.1 request that has both {@code Transfer-Encoding} and {@code Content-Length}.
 *
 * <p>Why: Netty frames such a request by {@code Transfer-Encoding} alone and keeps the connection,
 * so bytes after the chunked body's end are read as a second request. A proxy in front that frames
 * by {@code Content-Length} takes them for body: a client could slip a write past it (request
 * smuggling). RFC 9112 section 6.1 lets a server refuse the request and requires it to close the
 * connection after answering; nginx and Go do so. Here the request is a decoding failure: it gets
 * 400 and its connection is closed, and nothing after it on that connection is read.
 *
 * <p>How: Vert.x decodes requests with Netty's decoder and has no setting for this, so each new
 * HTTP/1.x connection's decoder is replaced, before it has read anything, by one that refuses the
 * pair. That reaches into Vert.x's pipeline (its handler name and decoder class); where they are
 * not as expected, the connection keeps Vert.x's own decoder.
 */
final class StrictFraming {
  private static final String DECODER = "httpDecoder";

  private StrictFraming() {}

  /** The failure a refused request carries, for its 400's detail. */
  static final class AmbiguousFraming extends IllegalArgumentException {
    AmbiguousFraming() {
      super("the request has both Transfer-Encoding and Content-Length; send one of them");
    }
  }

  /** Vert.x's HTTP/1.x request decoder, failing a request with both framing headers. */
  private static final class Decoder extends VertxHttpRequestDecoder {
    Decoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      throw new AmbiguousFraming(); // Netty makes the request a failed one, and reads no more
    }
  }

  /** Puts the strict decoder in place on a new connection (called from its connection handler). */
  static void install(HttpConnection connection, HttpServerOptions options) {
    if (!(connection instanceof ConnectionBase base)) {
      return; // not a connection of Vert.x's Netty transport
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    ChannelHandler decoder = pipeline.get(DECODER);
    if (decoder != null && decoder.getClass() == VertxHttpRequestDecoder.class) {
      pipeline.replace(DECODER, DECODER, new Decoder(options));
    }
  }
}
