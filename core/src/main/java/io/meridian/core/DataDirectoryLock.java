package io.meridian.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A process's claim on a directory: one Meridian process at a time uses a node's data directory
 * (two would both write its store and its logs), and one {@code local-cluster} at a time a
 * cluster's. An OS file lock, so it ends with the process however that ends, and a later process
 * takes it.
 */
public final class DataDirectoryLock implements AutoCloseable {
  /** The lock file's name in the directory it guards. */
  public static final String FILE_NAME = "meridian.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code directory}, creating both if need be; empty if another process (or
   * another part of this one) holds it.
   *
   * @throws IOException if the directory or its lock file cannot be created or opened
   */
  public static Optional<DataDirectoryLock> tryAcquire(Path directory) throws IOException {
    Files.createDirectories(directory);
    FileChannel channel =
        FileChannel.open(
            directory.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return Optional.of(new DataDirectoryLock(channel, lock));
      }
    } catch (OverlappingFileLockException heldInThisProcess) {
      // Falls through: held, as by another process.
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    channel.close();
    return Optional.empty();
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // The channel is gone either way; the OS drops the lock with it.
    }
  }
}
