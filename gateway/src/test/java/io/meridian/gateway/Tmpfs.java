package io.meridian.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted over a test's directory, to fill a disk for real ({@code mount -t tmpfs -o
 * size=<n>m}); closing it unmounts it. Mounting needs root: where it is not permitted the test
 * fails with the reason when the environment variable {@code CI} is set, and is skipped otherwise.
 */
final class Tmpfs implements AutoCloseable {
  private final Path mountPoint;

  private Tmpfs(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  static Tmpfs mount(Path mountPoint, int megabytes) throws IOException {
    Files.createDirectories(mountPoint);
    Result mounted =
        run(
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=" + megabytes + "m",
            "tmpfs",
            mountPoint.toString());
    if (mounted.exitCode() != 0) {
      String reason = "cannot mount a tmpfs on " + mountPoint + ": " + mounted.output();
      if (System.getenv("CI") != null) {
        fail(reason);
      }
      Assumptions.abort(reason);
    }
    return new Tmpfs(mountPoint);
  }

  /** Creates a file of {@code bytes} bytes (written, not sparse) inside the tmpfs. */
  Path fill(String name, int bytes) throws IOException {
    Path file = mountPoint.resolve(name);
    Files.write(file, new byte[bytes]);
    return file;
  }

  /**
   * Writes a file inside the tmpfs until the tmpfs has no space left, in 1 MiB and then 4 KiB
   * pieces, so that not even a small write fits.
   */
  Path fillUp(String name) throws IOException {
    Path file = mountPoint.resolve(name);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int piece : new int[] {1 << 20, 4 << 10}) {
        byte[] bytes = new byte[piece];
        try {
          while (true) {
            out.write(bytes);
            out.flush();
          }
        } catch (IOException full) {
          // no room for another piece of this size
        }
      }
    } catch (IOException full) {
      // closing flushes nothing more: the last piece did not fit
    }
    return file;
  }

  @Override
  public void close() throws IOException {
    Result unmounted = run("umount", mountPoint.toString());
    if (unmounted.exitCode() != 0) {
      throw new IOException("umount " + mountPoint + " failed: " + unmounted.output());
    }
  }

  private record Result(int exitCode, String output) {}

  private static Result run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), UTF_8).trim();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(-1, String.join(" ", command) + " did not finish");
      }
      return new Result(process.exitValue(), output);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
