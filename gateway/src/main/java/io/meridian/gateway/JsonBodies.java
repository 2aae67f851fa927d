package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.Operation;
import io.meridian.crdt.CausalContext;
import io.meridian.crdt.CorruptStateException;
import io.meridian.crdt.CrdtCodec;
import io.meridian.crdt.Utf8;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Strict parsing of the JSON request bodies of API.md. The parser refuses duplicate keys, trailing
 * content and deep nesting (so 100,000 {@code [} cost nothing), and every field is checked for its
 * exact JSON type: a {@code delta} of {@code "5"}, {@code 5.0}, {@code 1e400} or 2^64 is refused,
 * never coerced.
 */
final class JsonBodies {
  private static final int MAX_NESTING_DEPTH = 8;
  private static final int MAX_NUMBER_CHARS = 64;

  private final ObjectMapper mapper;
  private final int maxSetElementBytes;

  JsonBodies(int maxBodyBytes, int maxSetElementBytes) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxNumberLength(MAX_NUMBER_CHARS)
                    .maxStringLength(maxBodyBytes)
                    .maxDocumentLength(maxBodyBytes)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    this.mapper =
        new ObjectMapper(factory).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    this.maxSetElementBytes = maxSetElementBytes;
  }

  /** {@code {"delta": <64-bit integer>}}. */
  Operation.CounterAdd counterAdd(Buffer body) {
    byte[] json = utf8(body);
    Optional<Long> plain = plainDelta(json);
    if (plain.isPresent()) {
      return new Operation.CounterAdd(plain.get());
    }
    JsonNode root = object(json, Set.of("delta"));
    JsonNode delta = root.get("delta");
    if (delta == null) {
      throw invalid("the body must have a 'delta'");
    }
    if (!delta.isIntegralNumber() || !delta.canConvertToLong()) {
      throw ApiException.badRequest(
          "invalid-delta", "'delta' must be an integer between -2^63 and 2^63-1, not " + delta);
    }
    return new Operation.CounterAdd(delta.longValue());
  }

  /**
   * The common, well-formed increment read with the streaming parser, without building a tree;
   * empty for anything else, which the strict tree path then parses and explains.
   */
  private Optional<Long> plainDelta(byte[] body) {
    if (body.length == 0) {
      return Optional.empty();
    }
    try (JsonParser parser = mapper.getFactory().createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT
          || parser.nextToken() != JsonToken.FIELD_NAME
          || !"delta".equals(parser.currentName())
          || parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
        return Optional.empty();
      }
      JsonParser.NumberType type = parser.getNumberType();
      if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
        return Optional.empty();
      }
      long delta = parser.getLongValue();
      if (parser.nextToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        return Optional.empty();
      }
      return Optional.of(delta);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@code {"add": [..], "remove": [..], "context": ".."}} with add and/or remove. */
  Operation.SetUpdate setUpdate(Buffer body) {
    JsonNode root = object(utf8(body), Set.of("add", "remove", "context"));
    if (!root.has("add") && !root.has("remove")) {
      throw invalid("the body must have 'add' and/or 'remove'");
    }
    List<String> add = elements(root, "add");
    List<String> remove = elements(root, "remove");
    Optional<CausalContext> context = Optional.empty();
    JsonNode token = root.get("context");
    if (token != null) {
      if (!token.isTextual()) {
        throw ApiException.badRequest("invalid-context", "'context' must be a string token");
      }
      context = Optional.of(context(token.textValue()));
    }
    return new Operation.SetUpdate(add, remove, context);
  }

  /** Decodes a causal-context token issued by {@link #contextToken}. */
  static CausalContext context(String token) {
    try {
      return CrdtCodec.decodeContext(Base64.getUrlDecoder().decode(token));
    } catch (IllegalArgumentException | CorruptStateException e) {
      throw ApiException.badRequest(
          "invalid-context", "'context' is not a token this store issued");
    }
  }

  static String contextToken(CausalContext context) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(CrdtCodec.encodeContext(context));
  }

  private List<String> elements(JsonNode root, String field) {
    JsonNode array = root.get(field);
    if (array == null) {
      return List.of();
    }
    if (!array.isArray()) {
      throw invalid("'" + field + "' must be an array of strings");
    }
    List<String> elements = new ArrayList<>(array.size());
    for (JsonNode element : array) {
      if (!element.isTextual()) {
        throw invalid("'" + field + "' must hold only strings, not " + element.getNodeType());
      }
      String value = element.textValue();
      int bytes = utf8Length(value, field);
      if (bytes > maxSetElementBytes) {
        throw ApiException.tooLarge(
            "a set element is " + bytes + " bytes; at most " + maxSetElementBytes + " are allowed");
      }
      elements.add(value);
    }
    return elements;
  }

  /**
   * The bytes of a JSON body, refused unless they are UTF-8 (API.md section 3). Jackson's own
   * decoder is lenient: it reads an overlong {@code C1 A5} as {@code e} and a surrogate encoded on
   * its own as that surrogate, so a field name could hide as another and a set element could store
   * a string no client can read back. A body that is all ASCII, the common case, is valid as it is;
   * only from its first other byte on is a strict decoder run.
   */
  private static byte[] utf8(Buffer body) {
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    int first = 0;
    while (first < bytes.length && bytes[first] >= 0) {
      first++;
    }
    if (first == bytes.length) {
      return bytes;
    }
    ByteBuffer rest = ByteBuffer.wrap(bytes, first, bytes.length - first);
    CoderResult result =
        UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(rest, CharBuffer.allocate(bytes.length - first), true);
    if (result.isError()) {
      throw ApiException.badRequest(
          "invalid-json", "the body is not valid UTF-8 (at byte " + rest.position() + ")");
    }
    return bytes;
  }

  /**
   * The UTF-8 length of a set element, refusing one with an unpaired surrogate: JSON lets a string
   * escape half a surrogate pair ({@code "\\ud800"}), but that is not Unicode text, has no UTF-8
   * encoding and cannot be stored, so the body is as invalid as one that is not UTF-8 at all.
   */
  private static int utf8Length(String value, String field) {
    try {
      return Utf8.encodedLength(value, "an element of '" + field + "'");
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid-json", e.getMessage() + ", which is not Unicode text");
    }
  }

  private JsonNode object(byte[] body, Set<String> fields) {
    if (body.length == 0) {
      throw ApiException.badRequest("invalid-json", "the request needs a JSON body");
    }
    JsonNode root = tree(body);
    if (root == null || !root.isObject()) {
      throw invalid("the body must be a JSON object");
    }
    Iterator<String> names = root.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw invalid("unknown field '" + name + "'; expected " + fields);
      }
    }
    return root;
  }

  /**
   * The body's one JSON value. Content after it is looked for here rather than by Jackson's {@code
   * FAIL_ON_TRAILING_TOKENS}, whose message names that setting.
   */
  private JsonNode tree(byte[] body) {
    try (JsonParser parser = mapper.getFactory().createParser(body)) {
      JsonNode root = mapper.readTree(parser);
      JsonLocation after = parser.currentLocation();
      boolean trailing;
      try {
        trailing = parser.nextToken() != null;
      } catch (JsonProcessingException e) {
        trailing = true;
      }
      if (trailing) {
        throw ApiException.badRequest(
            "invalid-json", "the body has content after the JSON value" + at(after));
      }
      return root;
    } catch (StreamConstraintsException e) {
      throw ApiException.badRequest("invalid-json", "the JSON body exceeds a limit: " + summary(e));
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("invalid-json", "the body is not valid JSON: " + summary(e));
    } catch (IOException e) {
      throw ApiException.badRequest("invalid-json", "the body could not be read");
    }
  }

  /**
   * Jackson's message in plain words, with where it happened: without the source excerpt, the start
   * marker of an unclosed value or the name of the setting that refused it, which are Jackson's
   * internals rather than anything the client sent.
   */
  private static String summary(JsonProcessingException e) {
    String message =
        e instanceof JsonEOFException
            ? "unexpected end of input"
            : e.getOriginalMessage()
                .lines()
                .findFirst()
                .orElse("")
                .replaceAll(" \\([^(\\[]*\\[Source:.*?column: \\d+]\\)", "")
                .replaceAll(",? from `[^`]*`", "")
                .replace('`', '\'');
    if (message.length() > 200) {
      message = message.substring(0, 200) + "...";
    }
    return message + at(e.getLocation());
  }

  private static String at(JsonLocation location) {
    return location == null || location.getLineNr() < 1
        ? ""
        : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static ApiException invalid(String detail) {
    return ApiException.badRequest("invalid-request", detail);
  }
}
