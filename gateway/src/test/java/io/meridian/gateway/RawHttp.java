package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests a real client would refuse to send (invalid
 * percent-encoding, a header block over the limit, a Content-Length it does not mean to honour) and
 * for watching what the server does with the connection afterwards.
 */
final class RawHttp {
  static final int READ_TIMEOUT_MILLIS = 30_000;

  private RawHttp() {}

  /** Opens a connection to the node on loopback, with a read timeout that bounds every read. */
  static Socket connect(int port) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    socket.setTcpNoDelay(true);
    return socket;
  }

  /** Sends {@code request} as is on a new connection and reads one response. */
  static Reply exchange(int port, String request) throws IOException {
    try (Socket socket = connect(port)) {
      send(socket, request);
      return read(socket.getInputStream());
    }
  }

  static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(ISO_8859_1));
    out.flush();
  }

  /** A request head with {@code Host} and the given extra header lines, ending the head. */
  static String head(String method, String target, String... headerLines) {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1\r\n");
    for (String line : headerLines) {
      head.append(line).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  /** Reads one response (status line, headers, a Content-Length or close-delimited body). */
  static Reply read(InputStream in) throws IOException {
    String statusLine = readLine(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    Map<String, List<String>> headers = new HashMap<>();
    long contentLength = -1;
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      headers
          .computeIfAbsent(name.toLowerCase(java.util.Locale.ROOT), n -> new ArrayList<>())
          .add(value);
      if (name.equalsIgnoreCase("Content-Length")) {
        contentLength = Long.parseLong(value);
      }
    }
    if (status < 200) { // an interim response (100 Continue) has no body
      return new Reply(status, headers, new byte[0]);
    }
    byte[] body = contentLength >= 0 ? in.readNBytes((int) contentLength) : in.readAllBytes();
    if (contentLength >= 0 && body.length < contentLength) {
      throw new EOFException("the body ended after " + body.length + " of " + contentLength);
    }
    return new Reply(status, headers, body);
  }

  /** Parses one response from bytes already read. */
  static Reply parse(byte[] bytes) throws IOException {
    return read(new java.io.ByteArrayInputStream(bytes));
  }

  /**
   * Whether the server has closed the connection: a read sees end of stream or a reset. Waits at
   * most the socket's read timeout; bytes still arriving are skipped.
   */
  static boolean isClosedByServer(Socket socket) throws IOException {
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the connection closed inside a response head: " + line);
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, ISO_8859_1);
      }
      line.write(b);
      previous = b;
    }
  }
}
