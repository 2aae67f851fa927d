package io.meridian.replication.strong;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.util.TimeDuration;

/**
 * Ratis' metric registries, as Meridian runs them: every timer, counter and gauge Ratis registers
 * records nothing. Found by Ratis through {@link java.util.ServiceLoader} ({@code
 * META-INF/services}), in place of its Dropwizard implementation, {@code ratis-metrics-default}.
 *
 * <p>Why: nothing in Meridian reads Ratis' metrics — the node's {@code /metrics} reports strong
 * keys from {@link StrongKeyMetrics} — and Ratis itself only writes them, never reads them back.
 * Yet their timers sit on the path of every write: several per log append, flush and replication
 * call, each a sample added to a decaying reservoir (a concurrent skip list). Profiled under strong
 * PUT load, that was about 4% of the nodes' CPU, spent on figures no one could see.
 */
public final class DiscardedRatisMetrics extends MetricRegistries {

  private static final Timekeeper.Context STOPPED = () -> 0L;
  private static final Timekeeper TIMER = () -> STOPPED;
  private static final LongCounter COUNTER =
      new LongCounter() {
        @Override
        public void inc(long n) {}

        @Override
        public void dec(long n) {}

        @Override
        public long getCount() {
          return 0;
        }
      };

  /** Ratis creates one registry per component (server, division, log, appender) and removes it. */
  private final Map<MetricRegistryInfo, RatisMetricRegistry> registries = new ConcurrentHashMap<>();

  /** Called by {@link java.util.ServiceLoader}. */
  public DiscardedRatisMetrics() {}

  @Override
  public RatisMetricRegistry create(MetricRegistryInfo info) {
    return registries.computeIfAbsent(info, DiscardingRegistry::new);
  }

  @Override
  public boolean remove(MetricRegistryInfo info) {
    return registries.remove(info) != null;
  }

  @Override
  public Optional<RatisMetricRegistry> get(MetricRegistryInfo info) {
    return Optional.ofNullable(registries.get(info));
  }

  @Override
  public Set<MetricRegistryInfo> getMetricRegistryInfos() {
    return Set.copyOf(registries.keySet());
  }

  @Override
  public Collection<RatisMetricRegistry> getMetricRegistries() {
    return List.copyOf(registries.values());
  }

  @Override
  public void clear() {
    registries.clear();
  }

  /** No reporter is ever given anything to report. */
  @Override
  public void addReporterRegistration(
      Consumer<RatisMetricRegistry> onAdd, Consumer<RatisMetricRegistry> onRemove) {}

  @Override
  public void enableJmxReporter() {}

  @Override
  public void enableConsoleReporter(TimeDuration period) {}

  private record DiscardingRegistry(MetricRegistryInfo info) implements RatisMetricRegistry {
    @Override
    public Timekeeper timer(String name) {
      return TIMER;
    }

    @Override
    public LongCounter counter(String name) {
      return COUNTER;
    }

    @Override
    public boolean remove(String name) {
      return false;
    }

    @Override
    public <T> void gauge(String name, Supplier<Supplier<T>> gaugeSupplier) {}

    @Override
    public MetricRegistryInfo getMetricRegistryInfo() {
      return info;
    }
  }
}
