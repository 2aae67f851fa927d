package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LmdbNativeLibraryTest {
  @TempDir Path dir;

  @Test
  void removeLeftovers_deletesEarlierExtractedLibrariesOnly() throws IOException {
    Path directory = dir.resolve(LmdbNativeLibrary.DIRECTORY);
    Files.createDirectories(directory);
    Path leftover = Files.writeString(directory.resolve("lmdbjava-native-library-123.so"), "x");
    Path other = Files.writeString(directory.resolve("notes.txt"), "kept");

    assertThat(LmdbNativeLibrary.removeLeftovers(directory)).isEqualTo(directory);

    assertThat(leftover).doesNotExist();
    assertThat(other).exists();
  }

  @Test
  void removeLeftovers_createsTheDirectory() throws IOException {
    Path directory = dir.resolve("store").resolve(LmdbNativeLibrary.DIRECTORY);

    LmdbNativeLibrary.removeLeftovers(directory);

    assertThat(directory).isDirectory();
  }
}
