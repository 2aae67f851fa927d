package io.meridian.gateway;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository that tests start nodes from, the home of {@code bin/meridian}. */
final class MeridianHome {
  private MeridianHome() {}

  /**
   * {@code -Dmeridian.home}, or the first directory up from the working directory with
   * bin/meridian.
   */
  static Path path() {
    String configured = System.getProperty("meridian.home");
    Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("bin/meridian"))) {
        return p;
      }
    }
    throw new IllegalStateException("no bin/meridian above " + start);
  }
}
