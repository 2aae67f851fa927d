package io.meridian.crdt;

/**
 * UTF-8 checks for the strings a CRDT stores (replica ids, set elements, content types), and for
 * the API that takes them from clients.
 *
 * <p>A Java string may hold unpaired surrogates, which UTF-8 cannot represent: encoding would
 * silently replace them with {@code '?'}, so a state would not survive a round trip through the
 * codec and two replicas could hold different strings that encode to the same bytes. Rejecting such
 * strings at the API keeps every stored string exactly encodable.
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * Returns the UTF-8 length of {@code s} in bytes.
   *
   * @throws IllegalArgumentException if {@code s} contains an unpaired surrogate
   */
  public static int encodedLength(String s, String what) {
    int bytes = 0;
    int length = s.length();
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (!Character.isSurrogate(c)) {
        bytes += 3;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < length
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        throw new IllegalArgumentException(what + " contains an unpaired surrogate at index " + i);
      }
    }
    return bytes;
  }

  /** Checks that {@code s} is well-formed UTF-16 and returns it. */
  static String requireWellFormed(String s, String what) {
    encodedLength(s, what);
    return s;
  }
}
