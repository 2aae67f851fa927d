package io.meridian.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where lmdbjava puts its native library. lmdbjava 0.9 copies the library into a new temporary file
 * on every JVM start and deletes it only when the JVM exits cleanly, so every killed node would
 * leave a file behind in {@code java.io.tmpdir}, forever. The first store a JVM opens has it
 * extracted into the store's own {@code native} directory instead, after removing what earlier runs
 * of the node left there.
 */
final class LmdbNativeLibrary {
  private static final Logger log = LoggerFactory.getLogger(LmdbNativeLibrary.class);

  static final String EXTRACT_DIR_PROPERTY = "lmdbjava.extract.dir";
  static final String DIRECTORY = "native";
  private static final String EXTRACTED_PREFIX = "lmdbjava-native-library-";

  private static boolean placed;

  private LmdbNativeLibrary() {}

  /**
   * Before the JVM's first LMDB environment: points lmdbjava at {@code storeDirectory}'s native
   * directory, unless the property is already set. Later calls change nothing, since the library
   * loads once per JVM.
   */
  static synchronized void placeIn(Path storeDirectory) {
    if (placed) {
      return;
    }
    placed = true;
    if (System.getProperty(EXTRACT_DIR_PROPERTY) != null) {
      return;
    }
    try {
      Path directory = removeLeftovers(storeDirectory.resolve(DIRECTORY));
      System.setProperty(EXTRACT_DIR_PROPERTY, directory.toString());
    } catch (IOException e) {
      log.warn("native library goes to the temporary directory: {}", e.toString());
    }
  }

  /**
   * Creates {@code directory} if needed and deletes the libraries extracted there before; nothing
   * else in it. A library still mapped by a running process stays usable after its file is gone.
   */
  static Path removeLeftovers(Path directory) throws IOException {
    Files.createDirectories(directory);
    List<Path> leftovers;
    try (Stream<Path> entries = Files.list(directory)) {
      leftovers =
          entries.filter(p -> p.getFileName().toString().startsWith(EXTRACTED_PREFIX)).toList();
    }
    for (Path leftover : leftovers) {
      Files.deleteIfExists(leftover);
    }
    return directory;
  }
}
