package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodePointOrderTest {
  @Test
  void supplementaryCharacters_sortAfterTheEndOfTheBasicPlane() {
    List<String> elements = new ArrayList<>(List.of("😀", "\uFF5A", "\uE000", "a", ""));
    elements.sort(CodePointOrder.INSTANCE);
    assertThat(elements).containsExactly("", "a", "\uE000", "\uFF5A", "😀");
  }

  @Test
  void aPrefix_sortsFirst() {
    assertThat(CodePointOrder.INSTANCE.compare("ab", "abc")).isNegative();
    assertThat(CodePointOrder.INSTANCE.compare("abc", "ab")).isPositive();
    assertThat(CodePointOrder.INSTANCE.compare("a😀", "a😀")).isZero();
  }

  @Test
  void order_isTheOrderOfUtf8Bytes() {
    SplittableRandom random = new SplittableRandom(42);
    int[] codePoints = {
      'a', 'z', 0xE9, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFF5A, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF
    };
    for (int trial = 0; trial < 10_000; trial++) {
      String left = randomString(random, codePoints);
      String right = randomString(random, codePoints);
      int expected =
          Integer.signum(Arrays.compareUnsigned(left.getBytes(UTF_8), right.getBytes(UTF_8)));
      assertThat(Integer.signum(CodePointOrder.INSTANCE.compare(left, right)))
          .as("%s vs %s", left, right)
          .isEqualTo(expected);
    }
  }

  private static String randomString(SplittableRandom random, int[] codePoints) {
    StringBuilder s = new StringBuilder();
    int length = random.nextInt(4);
    for (int i = 0; i < length; i++) {
      s.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
    }
    return s.toString();
  }
}
