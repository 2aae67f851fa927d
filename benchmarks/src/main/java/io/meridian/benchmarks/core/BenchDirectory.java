package io.meridian.benchmarks.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A benchmark's scratch directory on the disk a node would use: under {@code -Dmeridian.bench.dir}
 * (default {@code java.io.tmpdir}). That file system sets the fsync cost, so a warning is printed
 * when it is tmpfs, where an fsync costs nothing.
 */
public final class BenchDirectory {
  private BenchDirectory() {}

  public static Path create(String prefix) throws IOException {
    Path parent =
        Path.of(System.getProperty("meridian.bench.dir", System.getProperty("java.io.tmpdir")));
    Path directory = Files.createTempDirectory(parent, prefix);
    String fs = Files.getFileStore(directory).type();
    if ("tmpfs".equals(fs) || "ramfs".equals(fs)) {
      System.err.println(
          "warning: "
              + directory
              + " is on "
              + fs
              + ", where fsync costs nothing; set -Dmeridian.bench.dir to a disk directory");
    }
    return directory;
  }

  public static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw new UncheckedIOException(e);
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
