package io.meridian.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadLogTest {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve("wal");
  }

  @Test
  void recover_returnsTheAppendedRecordsAfterTheCheckpoint_inOrder() throws IOException {
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      log.append(1, List.of(put("a", "1")));
      log.append(2, List.of(put("b", "2"), delete("a")));
      log.append(3, List.of(put("c", "3")));
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      List<WriteAheadLog.Record> records = log.recover(1);
      assertThat(records).extracting(WriteAheadLog.Record::lsn).containsExactly(2L, 3L);
      WriteAheadLog.Change deleted = records.get(0).changes().get(1);
      assertThat(new String(deleted.key(), UTF_8)).isEqualTo("a");
      assertThat(deleted.framedValue()).isNull();
      assertThat(records.get(1).changes().get(0).framedValue()).isEqualTo(bytes("3"));
      assertThat(records.get(1).changes().get(0).table()).isEqualTo(Table.DATA);
    }
  }

  @Test
  void recover_stopsAtATornRecord() throws IOException {
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      log.append(1, List.of(put("a", "1")));
      log.append(2, List.of(put("b", "22222222")));
    }
    try (RandomAccessFile raw = new RandomAccessFile(file().toFile(), "rw")) {
      raw.setLength(raw.length() - 3);
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      assertThat(log.recover(0)).extracting(WriteAheadLog.Record::lsn).containsExactly(1L);
      log.append(2, List.of(put("b", "2")));
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      assertThat(log.recover(0))
          .as("the next append went where the torn record began")
          .extracting(WriteAheadLog.Record::lsn)
          .containsExactly(1L, 2L);
    }
  }

  @Test
  void recover_stopsAtAFlippedByte() throws IOException {
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      log.append(1, List.of(put("a", "1")));
      log.append(2, List.of(put("b", "2")));
    }
    try (RandomAccessFile raw = new RandomAccessFile(file().toFile(), "rw")) {
      raw.seek(raw.length() - 1);
      int last = raw.read();
      raw.seek(raw.length() - 1);
      raw.write(last ^ 0x10);
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      assertThat(log.recover(0)).extracting(WriteAheadLog.Record::lsn).containsExactly(1L);
    }
  }

  @Test
  void afterARestart_olderRecordsBeyondTheNewOnesAreNotRead() throws IOException {
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      for (long lsn = 1; lsn <= 5; lsn++) {
        log.append(lsn, List.of(put("k" + lsn, "v")));
      }
      log.restart();
      log.append(6, List.of(put("k6", "v")));
      assertThat(log.size()).isLessThan(file().toFile().length());
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      assertThat(log.recover(5)).extracting(WriteAheadLog.Record::lsn).containsExactly(6L);
    }
    try (WriteAheadLog log = WriteAheadLog.open(file())) {
      assertThat(log.recover(6)).as("all checkpointed").isEmpty();
    }
  }

  private static WriteAheadLog.Change put(String key, String value) {
    return new WriteAheadLog.Change(Table.DATA, bytes(key), bytes(value));
  }

  private static WriteAheadLog.Change delete(String key) {
    return new WriteAheadLog.Change(Table.META, bytes(key), null);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }
}
