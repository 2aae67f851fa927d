package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NotModifiedTest {
  @Test
  void theSameTag_matches() {
    assertThat(NotModified.matches("\"7\"", "\"7\"")).isTrue();
  }

  @Test
  void anotherTag_doesNotMatch() {
    assertThat(NotModified.matches("\"8\"", "\"7\"")).isFalse();
    assertThat(NotModified.matches("7", "\"7\"")).as("an unquoted tag").isFalse();
  }

  @Test
  void tagsCompareWeakly() {
    assertThat(NotModified.matches("W/\"7\"", "\"7\"")).isTrue();
  }

  @Test
  void anyTagOfAList_orStar_matches() {
    assertThat(NotModified.matches("\"5\", \"6\" ,\"7\"", "\"7\"")).isTrue();
    assertThat(NotModified.matches("\"5\", \"6\"", "\"7\"")).isFalse();
    assertThat(NotModified.matches("*", "\"7\"")).isTrue();
  }
}
