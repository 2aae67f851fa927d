package io.meridian.crdt;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Random writes and deletes with timestamps from a small range, so equal timestamps are common and
 * even equal (timestamp, writer) pairs with different payloads occur: the join must order those
 * deterministically too. Now and then a timestamp near {@code Long.MAX_VALUE}.
 */
public final class LwwRegisterGenerator implements OperationGenerator<LwwRegister> {
  private static final List<String> CONTENT_TYPES =
      List.of("application/octet-stream", "text/plain", "application/json", "");

  @Override
  public Class<LwwRegister> type() {
    return LwwRegister.class;
  }

  @Override
  public LwwRegister empty() {
    return LwwRegister.empty();
  }

  @Override
  public Mutation<LwwRegister> apply(
      SplittableRandom random, ReplicaId replica, LwwRegister state, List<LwwRegister> observed) {
    long timestamp =
        random.nextInt(20) == 0 ? Long.MAX_VALUE - random.nextInt(2) : 1 + random.nextInt(8);
    if (random.nextInt(5) == 0) {
      return state.delete(timestamp, replica);
    }
    byte[] value = new byte[random.nextInt(4)];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (random.nextInt(3) * 0x7F); // 0x00, 0x7F, 0xFE: signedness matters
    }
    String contentType = CONTENT_TYPES.get(random.nextInt(CONTENT_TYPES.size()));
    return state.write(timestamp, replica, value, contentType);
  }
}
