package io.meridian.gateway;

import java.util.Comparator;

/**
 * Strings in Unicode code point order, which is also the order of their UTF-8 bytes: the order a
 * set's elements are listed in responses, as Riak and byte-oriented clients list them. {@link
 * String#compareTo} compares UTF-16 units instead, where a character outside the Basic Multilingual
 * Plane is a surrogate pair (U+D800 to U+DFFF) and so sorts before U+E000 to U+FFFF: {@code 😀}
 * (U+1F600) before {@code ｚ} (U+FF5A). This is only how responses list elements; the OR-set's own
 * order, and so its encoding, stays as it is.
 */
final class CodePointOrder implements Comparator<String> {
  static final CodePointOrder INSTANCE = new CodePointOrder();

  private CodePointOrder() {}

  /**
   * At the first unit that differs, a surrogate is moved above U+E000 to U+FFFF (the fix-up ICU
   * uses for "UTF-16 in code point order"): every other unit compares as it is, and two surrogates
   * compare as their pairs do, high first.
   */
  @Override
  public int compare(String left, String right) {
    int length = Math.min(left.length(), right.length());
    for (int i = 0; i < length; i++) {
      char a = left.charAt(i);
      char b = right.charAt(i);
      if (a != b) {
        return codePointRank(a) - codePointRank(b);
      }
    }
    return left.length() - right.length();
  }

  private static int codePointRank(char unit) {
    return Character.isSurrogate(unit) ? unit + 0x2000 : unit >= 0xE000 ? unit - 0x800 : unit;
  }
}
