package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One HTTP response as a test sees it, whichever client read it. Header names ignore case. */
record Reply(int status, Map<String, List<String>> headers, byte[] body) {
  Reply {
    Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
    headers = copy;
    body = body.clone();
  }

  /** The first value of a header, or null. */
  String header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  String text() {
    return new String(body, UTF_8);
  }

  JsonObject json() {
    return new JsonObject(text());
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public String toString() {
    String text = text();
    return status + " " + headers + " " + (text.length() > 300 ? text.substring(0, 300) : text);
  }
}
