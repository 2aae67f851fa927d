package io.meridian.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class CrdtCodecTest {
  private static final ReplicaId A = ReplicaId.of("a");
  private static final ReplicaId B = ReplicaId.of("b");

  /** Appends the CRC32C trailer to a hand-written frame body. */
  static byte[] frame(int... body) {
    byte[] bytes = new byte[body.length + 4];
    for (int i = 0; i < body.length; i++) {
      bytes[i] = (byte) body[i];
    }
    return withCrc(bytes);
  }

  /** Rewrites the last four bytes as the CRC32C of the ones before. */
  static byte[] withCrc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int value = (int) crc.getValue();
    for (int i = 0; i < 4; i++) {
      bytes[bytes.length - 4 + i] = (byte) (value >>> (24 - 8 * i));
    }
    return bytes;
  }

  @Test
  void encode_gCounter_matchesLayout() {
    assertThat(CrdtCodec.encode(GCounter.empty())).isEqualTo(frame(1, 1, 0));
    GCounter counter = GCounter.empty().increment(A, 1).state().increment(B, 300).state();
    assertThat(CrdtCodec.encode(counter)).isEqualTo(frame(1, 1, 2, 1, 'a', 1, 1, 'b', 0xAC, 0x02));
  }

  @Test
  void encode_pnCounter_matchesLayout() {
    PnCounter counter = PnCounter.empty().add(A, Long.MIN_VALUE).state();
    assertThat(CrdtCodec.encode(counter))
        .isEqualTo(
            frame(1, 2, 0, 1, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
  }

  @Test
  void encode_lwwRegister_matchesLayout() {
    assertThat(CrdtCodec.encode(LwwRegister.empty())).isEqualTo(frame(1, 3, 0));
    LwwRegister value = LwwRegister.empty().write(5, A, new byte[] {0x7F}, "t").state();
    assertThat(CrdtCodec.encode(value)).isEqualTo(frame(1, 3, 1, 5, 1, 'a', 1, 't', 1, 0x7F));
    LwwRegister tombstone = LwwRegister.empty().delete(5, A).state();
    assertThat(CrdtCodec.encode(tombstone)).isEqualTo(frame(1, 3, 2, 5, 1, 'a'));
  }

  @Test
  void encode_orSetWithDotCloud_matchesLayout() {
    List<OrSet> deltas = new ArrayList<>();
    OrSet source = OrSet.empty();
    for (String element : List.of("x", "y", "z")) {
      Mutation<OrSet> mutation = source.add(A, element);
      deltas.add(mutation.delta());
      source = mutation.state();
    }
    OrSet partial = OrSet.empty().join(deltas.get(2)); // only a:3 arrived
    assertThat(partial.context().dotCloud()).containsExactly(new Dot(A, 3));
    // replica table [a]; vector {}; cloud [a:3]; store {z: [a:3]}
    assertThat(CrdtCodec.encode(partial))
        .isEqualTo(frame(1, 4, 1, 1, 'a', 0, 1, 0, 3, 1, 1, 'z', 1, 0, 3));
  }

  @Test
  void encodeContext_matchesLayoutAndRoundTrips() {
    CausalContext context = CausalContext.of(List.of(new Dot(A, 1), new Dot(A, 2), new Dot(B, 5)));
    byte[] token = CrdtCodec.encodeContext(context);
    // replica table [a, b]; vector {a: 2}; cloud [b:5]
    assertThat(token).isEqualTo(frame(1, 5, 2, 1, 'a', 1, 'b', 1, 0, 2, 1, 1, 5));
    assertThat(CrdtCodec.decodeContext(token)).isEqualTo(context);
    assertThat(CrdtCodec.decodeContext(CrdtCodec.encodeContext(CausalContext.empty())))
        .isEqualTo(CausalContext.empty());
  }

  @Test
  void decode_extremeValues_roundTrip() {
    List<Crdt<?>> values =
        List.of(
            GCounter.empty().increment(A, Long.MAX_VALUE).state(),
            PnCounter.empty().add(A, Long.MIN_VALUE).state().add(A, Long.MAX_VALUE).state(),
            LwwRegister.empty()
                .write(Long.MAX_VALUE, ReplicaId.of("é".repeat(127)), new byte[70_000], "ü/ß")
                .state(),
            OrSet.empty()
                .addAll(ReplicaId.of("r\uD83D\uDE00"), List.of("", "\uD83D\uDE00"))
                .state(),
            OrSet.empty().add(A, "x").state().remove("x").state());
    for (Crdt<?> value : values) {
      byte[] bytes = CrdtCodec.encode(value);
      assertThat(CrdtCodec.decode(bytes)).isEqualTo(value);
      assertThat(CrdtCodec.encode(CrdtCodec.decode(bytes))).isEqualTo(bytes);
    }
  }

  @Test
  void encode_equalStatesBuiltDifferently_giveEqualBytes() {
    OrSet one = OrSet.empty().add(A, "x").state().join(OrSet.empty().add(B, "y").state());
    OrSet two = OrSet.empty().add(B, "y").state().join(OrSet.empty().add(A, "x").state());
    assertThat(CrdtCodec.encode(one)).isEqualTo(CrdtCodec.encode(two));
  }

  @Test
  void decode_typed_rejectsOtherType() {
    byte[] counter = CrdtCodec.encode(GCounter.empty());
    assertThat(CrdtCodec.decode(counter, GCounter.class)).isEqualTo(GCounter.empty());
    assertThatThrownBy(() -> CrdtCodec.decode(counter, OrSet.class))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("expected OrSet, found GCounter");
  }

  @Test
  void decode_contextTokenAndStateAreNotInterchangeable() {
    byte[] token = CrdtCodec.encodeContext(CausalContext.empty());
    assertThatThrownBy(() -> CrdtCodec.decode(token)).isInstanceOf(CorruptStateException.class);
    byte[] state = CrdtCodec.encode(OrSet.empty());
    assertThatThrownBy(() -> CrdtCodec.decodeContext(state))
        .isInstanceOf(CorruptStateException.class);
  }

  @Test
  void decode_badFrame_throwsCorruptState() {
    assertCorrupt(new byte[0], "too short");
    assertCorrupt(frame(2, 1, 0), "unknown format version 2");
    assertCorrupt(frame(1, 9, 0), "unknown type tag 9");
    byte[] badCrc = CrdtCodec.encode(GCounter.empty());
    badCrc[badCrc.length - 1] ^= 1;
    assertCorrupt(badCrc, "CRC32C mismatch");
    assertCorrupt(frame(1, 1, 0, 0), "trailing");
    assertCorrupt(frame(1, 1, 1), "truncated");
  }

  @Test
  void decode_nonCanonicalOrInvalidCounters_throwCorruptState() {
    assertCorrupt(frame(1, 1, 2, 1, 'b', 1, 1, 'a', 1), "not strictly ascending");
    assertCorrupt(frame(1, 1, 2, 1, 'a', 1, 1, 'a', 2), "not strictly ascending");
    assertCorrupt(frame(1, 1, 1, 1, 'a', 0), "out of range");
    assertCorrupt(frame(1, 1, 1, 1, 'a', 0x81, 0x00), "shortest form");
    assertCorrupt(
        frame(1, 1, 1, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02),
        "64 bits");
    // 2^63 is too much for a standalone G-counter, fine for a PN-counter half
    assertCorrupt(
        frame(1, 1, 1, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        "out of range");
    assertCorrupt(frame(1, 1, 1, 0, 1), "must not be empty");
    assertCorrupt(frame(1, 1, 1, 2, 0xC3, 0x28, 1), "UTF-8");
    assertCorrupt(frame(1, 1, 0x80, 0x80, 0x80, 0x80, 0x08), "out of range");
  }

  @Test
  void decode_invalidRegisters_throwCorruptState() {
    assertCorrupt(frame(1, 3, 3), "unknown register kind");
    assertCorrupt(frame(1, 3, 1, 0, 1, 'a', 0, 0), "timestamp");
    assertCorrupt(frame(1, 3, 1, 5, 1, 'a', 0, 9, 1), "value length out of range");
  }

  @Test
  void decode_invalidOrSets_throwCorruptState() {
    // vector {a: 1}, store {x: [a:2]}: a dot outside the context
    assertCorrupt(frame(1, 4, 1, 1, 'a', 1, 0, 1, 0, 1, 1, 'x', 1, 0, 2), "outside context");
    // vector {a: 1}, cloud [a:2]: not compacted
    assertCorrupt(frame(1, 4, 1, 1, 'a', 1, 0, 1, 1, 0, 2, 0), "not compacted");
    // table [a, b] but only a is used
    assertCorrupt(frame(1, 4, 2, 1, 'a', 1, 'b', 1, 0, 1, 0, 0), "unused");
    // element with no dots
    assertCorrupt(frame(1, 4, 1, 1, 'a', 1, 0, 1, 0, 1, 1, 'x', 0), "without dots");
    // the same dot under two elements
    assertCorrupt(
        frame(1, 4, 1, 1, 'a', 1, 0, 1, 0, 2, 1, 'x', 1, 0, 1, 1, 'y', 1, 0, 1), "duplicated");
    // replica index beyond the table
    assertCorrupt(frame(1, 4, 1, 1, 'a', 1, 1, 1, 0, 0), "replica index");
    // elements out of order
    assertCorrupt(
        frame(1, 4, 1, 1, 'a', 1, 0, 2, 0, 2, 1, 'y', 1, 0, 1, 1, 'x', 1, 0, 2),
        "not strictly ascending");
  }

  @Test
  void decode_randomBytes_throwOnlyCorruptState() {
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 5_000; i++) {
      byte[] bytes = new byte[random.nextInt(48)];
      random.nextBytes(bytes);
      if (bytes.length >= 6 && random.nextBoolean()) {
        bytes[0] = 1; // a valid version and checksum let the payload parser see the noise
        bytes[1] = (byte) (1 + random.nextInt(5));
        withCrc(bytes);
      }
      assertCorruptOrCanonical(bytes);
    }
  }

  @Test
  void decode_truncatedFlippedOrMutatedEncodings_throwOnlyCorruptState() {
    SplittableRandom random = new SplittableRandom(2);
    for (byte[] valid : validEncodings()) {
      for (int length = 0; length < valid.length; length++) {
        byte[] truncated = Arrays.copyOf(valid, length);
        assertThatThrownBy(() -> decodeAny(truncated)).isInstanceOf(CorruptStateException.class);
      }
      for (int bit = 0; bit < Math.min(valid.length * 8, 256); bit++) {
        byte[] flipped = valid.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThatThrownBy(() -> decodeAny(flipped)).isInstanceOf(CorruptStateException.class);
      }
      for (int i = 0; i < 40; i++) {
        byte[] mutated = valid.clone();
        int position = 1 + random.nextInt(mutated.length - 5);
        mutated[position] = (byte) random.nextInt(256);
        assertCorruptOrCanonical(withCrc(mutated));
      }
    }
  }

  /** Encodings of every state of a few generated histories of each type, and a few tokens. */
  private static List<byte[]> validEncodings() {
    List<byte[]> encodings = new ArrayList<>();
    for (long seed = 1; seed <= 3; seed++) {
      addEncodings(encodings, OperationHistory.generate(seed, new GCounterGenerator()));
      addEncodings(encodings, OperationHistory.generate(seed, new PnCounterGenerator()));
      addEncodings(encodings, OperationHistory.generate(seed, new LwwRegisterGenerator()));
      OperationHistory<OrSet> sets = OperationHistory.generate(seed, new OrSetGenerator());
      addEncodings(encodings, sets);
      for (OrSet state : sets.finalStates()) {
        encodings.add(CrdtCodec.encodeContext(state.context()));
      }
    }
    return encodings;
  }

  private static <T extends Crdt<T>> void addEncodings(
      List<byte[]> encodings, OperationHistory<T> history) {
    for (T state : history.finalStates()) {
      encodings.add(CrdtCodec.encode(state));
    }
  }

  private static Object decodeAny(byte[] bytes) {
    return bytes.length > 1 && bytes[1] == CrdtCodec.TAG_CAUSAL_CONTEXT
        ? CrdtCodec.decodeContext(bytes)
        : CrdtCodec.decode(bytes);
  }

  /** Either the bytes are corrupt, or they are the canonical encoding of what they decode to. */
  private static void assertCorruptOrCanonical(byte[] bytes) {
    Object decoded;
    try {
      decoded = decodeAny(bytes);
    } catch (CorruptStateException expected) {
      return;
    } catch (RuntimeException e) {
      throw new AssertionError("unexpected exception for " + HexFormat.of().formatHex(bytes), e);
    }
    byte[] reencoded =
        decoded instanceof CausalContext context
            ? CrdtCodec.encodeContext(context)
            : CrdtCodec.encode((Crdt<?>) decoded);
    assertThat(reencoded).as("re-encoding of %s", HexFormat.of().formatHex(bytes)).isEqualTo(bytes);
  }

  private static void assertCorrupt(byte[] bytes, String message) {
    assertThatThrownBy(() -> decodeAny(bytes))
        .as(HexFormat.of().formatHex(bytes))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining(message);
  }
}
