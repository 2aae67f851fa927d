package io.meridian.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.benchmarks.core.DiskSyncBenchmark;
import io.meridian.benchmarks.core.LmdbStoreBenchmark;
import io.meridian.benchmarks.crdt.CrdtCodecBenchmark;
import io.meridian.benchmarks.crdt.OrSetBenchmark;
import io.meridian.benchmarks.crdt.PnCounterBenchmark;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The CI smoke of the JMH suite: every benchmark in the generated {@code META-INF/BenchmarkList}
 * (the one {@code benchmarks/jmh.sh} runs), with every parameter value, runs one 100 ms iteration
 * in this JVM (no fork, no warm-up). One dynamic test per benchmark class checks that each of its
 * benchmarks yields a result; the numbers mean nothing here and are not asserted.
 */
class JmhSmokeTest {

  /** Benchmark class name to its benchmarks ({@code class.method}), from the generated list. */
  private static Map<String, Set<String>> benchmarksByClass() {
    Map<String, Set<String>> byClass = new TreeMap<>();
    Set<BenchmarkListEntry> entries =
        BenchmarkList.defaultList()
            .getAll(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of());
    for (BenchmarkListEntry entry : entries) {
      byClass
          .computeIfAbsent(entry.getUserClassQName(), unused -> new TreeSet<>())
          .add(entry.getUsername());
    }
    return byClass;
  }

  @Test
  void theGeneratedList_holdsTheSuite() {
    assertThat(benchmarksByClass())
        .containsKeys(
            OrSetBenchmark.class.getName(),
            PnCounterBenchmark.class.getName(),
            CrdtCodecBenchmark.class.getName(),
            LmdbStoreBenchmark.class.getName(),
            DiskSyncBenchmark.class.getName());
  }

  @TestFactory
  Stream<DynamicTest> everyBenchmark_producesAResult() {
    return benchmarksByClass().entrySet().stream()
        .map(
            entry ->
                DynamicTest.dynamicTest(
                    entry.getKey(), () -> runOnce(entry.getKey(), entry.getValue())));
  }

  private static void runOnce(String benchmarkClass, Set<String> benchmarks)
      throws RunnerException {
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .include("^" + Pattern.quote(benchmarkClass) + "\\.")
                    .forks(0)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(100))
                    .shouldFailOnError(true)
                    .verbosity(VerboseMode.NORMAL)
                    .build())
            .run();

    assertThat(results.stream().map(result -> result.getParams().getBenchmark()))
        .containsAll(benchmarks);
    for (RunResult result : results) {
      assertThat(result.getPrimaryResult().getSampleCount())
          .as(result.getParams().getBenchmark() + " " + result.getParams())
          .isPositive();
    }
    if (benchmarkClass.equals(LmdbStoreBenchmark.class.getName())) {
      // The group-commit counter travels as a JMH secondary result.
      results.forEach(result -> assertThat(result.getSecondaryResults()).containsKey("commits"));
    }
  }
}
