package io.meridian.core;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.MeridianConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;

/** Opens real LMDB stores in a test's temporary directory. */
public final class StoreFixture {
  private StoreFixture() {}

  public static MeridianConfig.Storage storageConfig() {
    return new ConfigLoader().defaults().storage();
  }

  public static LmdbStore open(Path dataDir, HybridLogicalClock clock) {
    return LmdbStore.open(dataDir, storageConfig(), clock, new SimpleMeterRegistry());
  }

  public static LmdbStore open(Path dataDir) {
    return open(dataDir, HybridLogicalClock.system());
  }
}
