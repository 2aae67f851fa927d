package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.Test;

class DiscardedRatisMetricsTest {

  @Test
  void ratisFindsOurRegistries_andNoOther() {
    // Ratis takes the first of several implementations it finds, with a warning: a second one on
    // the class path (ratis-metrics-default coming back through a dependency) would fail this.
    assertThat(MetricRegistries.global()).isInstanceOf(DiscardedRatisMetrics.class);
  }

  @Test
  void registriesRecordNothing_butAreKeptUntilRemoved() {
    DiscardedRatisMetrics metrics = new DiscardedRatisMetrics();
    MetricRegistryInfo info = new MetricRegistryInfo("group-1", "ratis", "log_worker", "test");

    RatisMetricRegistry registry = metrics.create(info);
    registry.counter("flushCount").inc(5);
    registry.timer("flushTime").time().stop();

    assertThat(registry.counter("flushCount").getCount()).isZero();
    assertThat(metrics.create(info)).isSameAs(registry);
    assertThat(metrics.get(info)).containsSame(registry);
    assertThat(metrics.remove(info)).isTrue();
    assertThat(metrics.get(info)).isEmpty();
    assertThat(metrics.getMetricRegistryInfos()).isEmpty();
  }
}
