package io.meridian.gateway;

import static io.meridian.gateway.ProblemAssert.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/admin/repair} on one node. A node of its own, because a repair records its progress in
 * the store while it runs, which the tests that count mutations would see.
 */
class AdminRoutesTest {
  @TempDir static Path dataDir;
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(dataDir);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void repair_peerThatIsAMember_isAccepted() {
    Reply started = node.post("/v1/admin/repair?peer=n1&dryRun=true", "");
    assertThat(started.status()).as("%s", started).isEqualTo(202);
    assertThat(started.json().getString("peer")).isEqualTo("n1");
    String progress = started.header("Location");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> node.get(progress).json().getString("state").equals("done"));
  }

  @Test
  void repair_peerNotAMember_namesTheMembers() {
    JsonObject problem =
        assertProblem(node.post("/v1/admin/repair?peer=n2", ""), 400, "invalid-parameter");
    assertThat(problem.getString("detail")).contains("'n2'", "not a member", "n1");
  }
}
