package io.meridian.benchmarks.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one durable commit costs the disk, by its shape: overwrite {@code pages} 4 KiB pages of an
 * allocated file, then {@code fdatasync} ({@link FileChannel#force force(false)}). Pages are either
 * {@code scattered} over a 64 MiB file, as the copy-on-write pages of an LMDB commit are (it writes
 * each dirty page where its free list puts it), or {@code contiguous}, as an append to a log is.
 *
 * <p>The storage writer's commit of ~20 counter increments writes ~25 scattered pages and syncs,
 * then writes and syncs the meta page: {@code scattered/25} plus {@code scattered/1} is the floor
 * of its commit cycle on that disk. A log of the same mutations would be {@code contiguous/1} or
 * {@code contiguous/2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@Threads(1)
public class DiskSyncBenchmark {
  private static final int PAGE = 4096;
  private static final int FILE_PAGES = 16_384; // 64 MiB

  @Param({"1", "25", "50"})
  public int pages;

  @Param({"scattered", "contiguous"})
  public String layout;

  private Path directory;
  private FileChannel file;
  private final ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
  private final SplittableRandom random = new SplittableRandom(1);

  @Setup(Level.Trial)
  public void open() throws IOException {
    directory = BenchDirectory.create("meridian-jmh-sync-");
    file =
        FileChannel.open(
            directory.resolve("pages"),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    // Allocate every block first: a commit overwrites pages of an existing file.
    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
    for (long at = 0; at < (long) FILE_PAGES * PAGE; at += chunk.capacity()) {
      chunk.clear();
      while (chunk.hasRemaining()) {
        file.write(chunk, at + chunk.position());
      }
    }
    file.force(true);
    while (page.hasRemaining()) {
      page.put((byte) random.nextInt());
    }
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    try {
      file.close();
    } finally {
      BenchDirectory.deleteRecursively(directory);
    }
  }

  /** One commit: {@code pages} page writes, then a data sync. */
  @Benchmark
  public void commit() throws IOException {
    boolean scattered = layout.equals("scattered");
    int first = random.nextInt(FILE_PAGES - pages);
    for (int i = 0; i < pages; i++) {
      long at = (long) (scattered ? random.nextInt(FILE_PAGES) : first + i) * PAGE;
      page.clear();
      while (page.hasRemaining()) {
        file.write(page, at + page.position());
      }
    }
    file.force(false);
  }
}
