package io.meridian.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.ratis.util.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's data directory as start-up found it: missing or empty. A start refused before the node
 * held anything of anyone else's removes what it created there, so the directory is as it was.
 */
final class FreshDataDirectory {
  private static final Logger log = LoggerFactory.getLogger(FreshDataDirectory.class);

  private final Path dir;
  private final boolean existed;

  private FreshDataDirectory(Path dir, boolean existed) {
    this.dir = dir;
    this.existed = existed;
  }

  /** The directory if it is missing or empty now; empty if it holds anything. */
  static Optional<FreshDataDirectory> at(Path dir) {
    if (!Files.exists(dir)) {
      return Optional.of(new FreshDataDirectory(dir, false));
    }
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isPresent()
          ? Optional.empty()
          : Optional.of(new FreshDataDirectory(dir, true));
    } catch (IOException e) {
      return Optional.empty(); // unreadable: leave it alone
    }
  }

  /** Removes what start-up created: the directory, or its contents if it was there before. */
  void discard() {
    try {
      if (!existed) {
        FileUtils.deleteFully(dir);
        return;
      }
      List<Path> created;
      try (Stream<Path> entries = Files.list(dir)) {
        created = entries.toList();
      }
      for (Path entry : created) {
        FileUtils.deleteFully(entry);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not remove what start-up created in {}: {}", dir, e.toString());
    }
  }
}
