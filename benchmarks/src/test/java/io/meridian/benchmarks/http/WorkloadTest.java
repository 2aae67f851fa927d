package io.meridian.benchmarks.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  private final Workload workload =
      new Workload(
          "/prefix", OpMix.parse("counter-incr=1"), new KeyDistribution.Uniform(10), 100, 5);
  private final SplittableRandom random = new SplittableRandom(1);

  @Test
  void counterIncr_postsDeltaOne() {
    Workload.Request request = workload.request(Op.COUNTER_INCR, 7, random);

    assertThat(request.method()).isEqualTo(HttpMethod.POST);
    assertThat(request.uri()).isEqualTo("/prefix/v1/counters/bench-7");
    assertThat(request.contentType()).isEqualTo("application/json");
    assertThat(new JsonObject(request.body()).getLong("delta")).isEqualTo(1L);
  }

  @Test
  void setAdd_addsOneElementFromTheBoundedSpace() {
    Workload.Request request = workload.request(Op.SET_ADD, 3, random);

    assertThat(request.uri()).isEqualTo("/prefix/v1/sets/bench-3");
    var add = new JsonObject(request.body()).getJsonArray("add");
    assertThat(add).hasSize(1);
    assertThat(add.getString(0)).isIn("e0", "e1", "e2", "e3", "e4");
  }

  @Test
  void keyPut_sendsValueBytes() {
    Workload.Request request = workload.request(Op.KEY_PUT, 0, random);

    assertThat(request.method()).isEqualTo(HttpMethod.PUT);
    assertThat(request.uri()).isEqualTo("/prefix/v1/keys/bench-0");
    assertThat(request.body().length()).isEqualTo(100);
    assertThat(request.hasBody()).isTrue();
  }

  @Test
  void getRequests_haveNoBody() {
    Workload.Request get = workload.request(Op.KEY_GET, 9, random);
    Workload.Request hello = workload.request(Op.HELLO, 0, random);

    assertThat(get.method()).isEqualTo(HttpMethod.GET);
    assertThat(get.uri()).isEqualTo("/prefix/v1/keys/bench-9");
    assertThat(get.hasBody()).isFalse();
    assertThat(hello.uri()).isEqualTo("/prefix/");
    assertThat(hello.hasBody()).isFalse();
  }

  @Test
  void basePath_withTrailingSlash_isRejected() {
    assertThatThrownBy(
            () -> new Workload("/", OpMix.parse("hello=1"), new KeyDistribution.Uniform(1), 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
