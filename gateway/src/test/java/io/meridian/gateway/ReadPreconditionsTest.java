package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadPreconditionsTest {
  @Test
  void theSameTag_matches() {
    assertThat(ReadPreconditions.matches("\"7\"", "\"7\"")).isTrue();
  }

  @Test
  void anotherTag_doesNotMatch() {
    assertThat(ReadPreconditions.matches("\"8\"", "\"7\"")).isFalse();
    assertThat(ReadPreconditions.matches("7", "\"7\"")).as("an unquoted tag").isFalse();
  }

  @Test
  void tagsCompareWeakly() {
    assertThat(ReadPreconditions.matches("W/\"7\"", "\"7\"")).isTrue();
  }

  @Test
  void anyTagOfAList_orStar_matches() {
    assertThat(ReadPreconditions.matches("\"5\", \"6\" ,\"7\"", "\"7\"")).isTrue();
    assertThat(ReadPreconditions.matches("\"5\", \"6\"", "\"7\"")).isFalse();
    assertThat(ReadPreconditions.matches("*", "\"7\"")).isTrue();
  }

  @Test
  void ifMatch_theSameTagOrStar_matches() {
    assertThat(ReadPreconditions.matchesStrongly("\"7\"", "\"7\"")).isTrue();
    assertThat(ReadPreconditions.matchesStrongly("\"5\", \"7\"", "\"7\"")).isTrue();
    assertThat(ReadPreconditions.matchesStrongly("*", "\"7\"")).isTrue();
  }

  @Test
  void ifMatch_comparesStrongly() {
    assertThat(ReadPreconditions.matchesStrongly("W/\"7\"", "\"7\"")).isFalse();
    assertThat(ReadPreconditions.matchesStrongly("\"1\"", "\"7\"")).isFalse();
    assertThat(ReadPreconditions.matchesStrongly("7", "\"7\"")).as("an unquoted tag").isFalse();
  }
}
