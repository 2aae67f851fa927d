package io.meridian.gateway;

import io.meridian.core.DataKey;
import io.meridian.core.Keyspace;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the key out of a request path such as {@code /v1/counters/a%2Fb}. Decoding is strict and
 * done here, on the raw path, rather than by the router: the key is everything after the keyspace
 * prefix, percent-decoded once, so {@code a%2Fb} is the one key {@code a/b}. Malformed escapes, NUL
 * bytes, invalid UTF-8, an empty key or one over {@code limits.maxKeyBytes} are refused.
 *
 * <p>So is a key with a {@code .} or {@code ..} segment between literal slashes ({@code x/..},
 * {@code a/./b}, {@code %2E}): RFC 3986 section 5.2.4 removes dot segments, percent-encoded ones
 * too ({@code %2E} is unreserved), before a path is routed, and proxies do the same. Such a key
 * would name one key here and another key, or none, behind a proxy. {@code x%2F..} is one segment
 * and fine.
 */
final class KeyPath {
  private KeyPath() {}

  static DataKey parse(String rawPath, String prefix, Keyspace keyspace, int maxKeyBytes) {
    return new DataKey(keyspace, decode(rawPath, prefix, maxKeyBytes));
  }

  static String decode(String rawPath, String prefix, int maxKeyBytes) {
    if (!rawPath.startsWith(prefix)) {
      throw ApiException.notFound("no such resource");
    }
    String encoded = rawPath.substring(prefix.length());
    String key = decodeKey(encoded, maxKeyBytes);
    if (hasDotSegment(encoded)) {
      throw ApiException.badRequest(
          "invalid-key",
          "the key '"
              + key
              + "' is or contains a '.' or '..' path segment, which cannot be addressed in a URL:"
              + " RFC 3986 removes dot segments from a path before it is routed, and proxies do"
              + " too (percent-encode the slash next to the dots, %2F, to keep them)");
    }
    return key;
  }

  private static boolean hasDotSegment(String encoded) {
    for (String segment : encoded.split("/", -1)) {
      String dots = segment.replace("%2E", ".").replace("%2e", ".");
      if (dots.equals(".") || dots.equals("..")) {
        return true;
      }
    }
    return false;
  }

  /**
   * A key given percent-encoded anywhere in a request (a path segment, a query parameter), checked
   * as every key is: the same problem for the same bad key whichever route it came in on.
   */
  static String decodeKey(String percentEncoded, int maxKeyBytes) {
    byte[] bytes = percentDecode(percentEncoded);
    if (bytes.length == 0) {
      throw ApiException.badRequest("invalid-key", "the key must not be empty");
    }
    if (bytes.length > maxKeyBytes) {
      throw ApiException.badRequest(
          "invalid-key",
          "the key is " + bytes.length + " bytes; at most " + maxKeyBytes + " are allowed");
    }
    for (byte b : bytes) {
      if (b == 0) {
        throw ApiException.badRequest("invalid-key", "the key must not contain NUL (%00)");
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest("invalid-key", "the key is not valid UTF-8");
    }
  }

  private static byte[] percentDecode(String encoded) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        int high = i + 1 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
        int low = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 2), 16) : -1;
        if (high < 0 || low < 0) {
          throw ApiException.badRequest(
              "invalid-key", "invalid percent-encoding at position " + i + " of the key");
        }
        out.write(high << 4 | low);
        i += 2;
      } else if (c > 0x7F) {
        // Raw non-ASCII in a request line is not valid HTTP; clients percent-encode it.
        throw ApiException.badRequest("invalid-key", "the key must be percent-encoded");
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }
}
