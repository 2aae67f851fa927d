package io.meridian.replication;

import java.util.Objects;

/** A node of the cluster as other nodes know it: its id, region and client-facing address. */
public record Member(String id, String region, String httpAddress) {
  public Member {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(httpAddress, "httpAddress");
    if (id.isEmpty() || region.isEmpty()) {
      throw new IllegalArgumentException("member id and region must not be empty");
    }
  }
}
