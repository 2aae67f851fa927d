package io.meridian.replication.strong;

import java.util.Objects;

/** A node as a Raft peer: its id (also its Ratis peer id), region and Ratis address. */
public record RaftMember(String id, String region, String address) {
  public RaftMember {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(address, "address");
    if (id.isEmpty() || region.isEmpty() || !address.matches("[^:\\s]+:[0-9]{1,5}")) {
      throw new IllegalArgumentException("not a Raft member: " + id + "/" + region + "/" + address);
    }
  }
}
