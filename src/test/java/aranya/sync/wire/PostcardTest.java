package aranya.sync.wire;

import static aranya.sync.wire.WireAssertions.assertMalformed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The postcard primitives, byte for byte, at the edges of every range. */
class PostcardTest {
    // Each row: value, its shortest unsigned LEB128 form (7 bits per byte, low first, high bit = more).
    @ParameterizedTest
    @CsvSource({
        "0,                    00",
        "1,                    01",
        "127,                  7f",             // largest 1-byte varint
        "128,                  80 01",          // 128 = 1 << 7
        "300,                  ac 02",          // 0x12c: 0x2c | 0x80, then 2
        "16383,                ff 7f",          // largest 2-byte varint
        "16384,                80 80 01",
        "4294967295,           ff ff ff ff 0f", // 2^32-1: 4 x 7 bits, then the top 4 bits
    })
    void u32Varints(long value, String hex) throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeVarU32(value);
        assertThat(hex(w.toByteArray())).isEqualTo(hex.replace(" ", ""));
        PostcardReader r = reader(hex);
        assertThat(r.readVarU32()).isEqualTo(value);
        r.expectEnd();
    }

    @ParameterizedTest
    @CsvSource({
        "0,                    00",
        "4294967296,           80 80 80 80 10",                // 2^32
        "9223372036854775807,  ff ff ff ff ff ff ff ff 7f",    // 2^63-1: 9 x 7 bits
        "-9223372036854775808, 80 80 80 80 80 80 80 80 80 01", // 2^63, held as Long.MIN_VALUE
        "-1,                   ff ff ff ff ff ff ff ff ff 01", // 2^64-1: 9 x 7 bits, then the top bit
    })
    void u64Varints(long value, String hex) throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeVarU64(value);
        assertThat(hex(w.toByteArray())).isEqualTo(hex.replace(" ", ""));
        PostcardReader r = reader(hex);
        assertThat(r.readVarU64()).isEqualTo(value);
        r.expectEnd();
    }

    @ParameterizedTest
    @CsvSource({
        "0,                   0,                   00",
        "0,                   -1,                  ff ff ff ff ff ff ff ff ff 01",         // 2^64-1
        "1,                   0,                   80 80 80 80 80 80 80 80 80 02",         // 2^64: bit 64 is bit 1 of byte 10
        "-1,                  -1,                  ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff 03", // 2^128-1
        "81985529216486895,   81985529216486895,   ef 9b af cd f8 ac d1 91 81 de b7 de 9a f1 d9 a2 a3 02",    // the session id of the worked examples (docs/protocol.md)
    })
    void u128Varints(long high, long low, String hex) throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeU128(new SessionId(high, low));
        assertThat(hex(w.toByteArray())).isEqualTo(hex.replace(" ", ""));
        PostcardReader r = reader(hex);
        assertThat(r.readU128()).isEqualTo(new SessionId(high, low));
        r.expectEnd();
    }

    @Test
    void overlongVarintsAreRefusedThoughPostcardAcceptsThem() {
        assertMalformed(() -> reader("80 00").readVarU32(), "overlong");
        assertMalformed(() -> reader("ff 00").readVarU64(), "overlong");
        assertMalformed(() -> reader("80 80 00").readU128(), "overlong");
        assertMalformed(() -> reader("81 80 80 80 00").readVarU32(), "overlong");
    }

    @Test
    void varintsBeyondTheirTypeAreRefused() {
        assertMalformed(() -> reader("80 80 80 80 10").readVarU32(), "overflows 32 bits");        // 2^32
        assertMalformed(() -> reader("ff ff ff ff 1f").readVarU32(), "overflows 32 bits");
        assertMalformed(() -> reader("80 80 80 80 80 80 80 80 80 02").readVarU64(), "overflows 64 bits"); // 2^64
        assertMalformed(() -> reader("ff*18 04").readU128(), "overflows 128 bits");               // 2^128
        assertMalformed(() -> reader("80 80 80 80 80 80 80 80 80 81 00").readVarU64(), "longer than 10 bytes");
        assertMalformed(() -> reader("80 80 80 80 80").readVarU32(), "longer than 5 bytes");
    }

    @Test
    void truncatedVarintsAreRefused() {
        assertMalformed(() -> reader("").readVarU32(), "truncated");
        assertMalformed(() -> reader("80").readVarU64(), "truncated");
        assertMalformed(() -> reader("ff*18").readU128(), "truncated");
    }

    @Test
    void boolsAreZeroOrOne() throws SyncException {
        PostcardReader r = reader("00 01");
        assertThat(r.readBool()).isFalse();
        assertThat(r.readBool()).isTrue();
        assertMalformed(() -> reader("02").readBool(), "a bool is 00 or 01, got 02");
        assertMalformed(() -> reader("ff").readBool(), "got ff");
    }

    @Test
    void idsAreALengthOf32ThenTheBytes() throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeId(CommandId.of(MessageVectorsTest.filled(0xbb)));
        w.writeId(GraphId.of(MessageVectorsTest.filled(0xaa)));
        assertThat(w.toByteArray()).isEqualTo(Vectors.hex("20 bb*32 20 aa*32"));
        PostcardReader r = new PostcardReader(w.toByteArray());
        assertThat(r.readId(CommandId::of)).isEqualTo(CommandId.of(MessageVectorsTest.filled(0xbb)));
        GraphId graphId = r.readId(GraphId::of);
        assertThat(graphId).isEqualTo(GraphId.of(MessageVectorsTest.filled(0xaa)));
        r.expectEnd();
    }

    @Test
    void idsWithAnotherLengthPrefixAreRefused() {
        assertMalformed(() -> reader("1f bb*31").readId(CommandId::of), "length prefix 20, got 1f");
        assertMalformed(() -> reader("21 bb*33").readId(CommandId::of), "got 21");
        assertMalformed(() -> reader("a0 00 bb*32").readId(CommandId::of), "got a0"); // 32 as an overlong varint
        assertMalformed(() -> reader("20 bb*31").readId(CommandId::of), "truncated");
    }

    @Test
    void byteStringsAndRawBytes() throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeBytes(Bytes.of(new byte[] {1, 2, 3}));
        w.writeRaw(Bytes.of(new byte[] {4, 5}));
        w.writeBytes(Bytes.EMPTY);
        assertThat(w.toByteArray()).isEqualTo(Vectors.hex("03 01 02 03 04 05 00"));
        assertThat(w.size()).isEqualTo(7);
        PostcardReader r = new PostcardReader(w.toByteArray());
        assertThat(r.readBytes()).isEqualTo(Bytes.of(new byte[] {1, 2, 3}));
        assertThat(r.readRaw(2)).isEqualTo(Bytes.of(new byte[] {4, 5}));
        assertThat(r.readBytes()).isEqualTo(Bytes.EMPTY);
        assertThat(r.remaining()).isZero();
    }

    @Test
    void lengthsBeyondTheInputAreRefusedBeforeAllocating() {
        assertMalformed(() -> reader("04 01 02 03").readBytes(), "needs 4 bytes, only 3 left");
        assertMalformed(() -> reader("80 80 80 80 08 01").readBytes(), "needs 2147483648 bytes, only 1 left");
        assertMalformed(() -> reader("ff ff ff ff ff ff ff ff ff 01").readBytes(), "needs 18446744073709551615 bytes");
        assertMalformed(() -> reader("01").readRaw(-1L), "needs 18446744073709551615 bytes, only 1 left");
    }

    @Test
    void stringsAreStrictUtf8() throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeString("né€😀");
        assertThat(hex(w.toByteArray())).isEqualTo("0a" + "6e" + "c3a9" + "e282ac" + "f09f9880");
        assertThat(new PostcardReader(w.toByteArray()).readString()).isEqualTo("né€😀");
        assertMalformed(() -> reader("02 c3 28").readString(), "not valid UTF-8");    // bad continuation
        assertMalformed(() -> reader("02 c0 80").readString(), "not valid UTF-8");    // overlong NUL
        assertMalformed(() -> reader("03 ed a0 80").readString(), "not valid UTF-8"); // a surrogate
        assertMalformed(() -> reader("01 ff").readString(), "not valid UTF-8");
    }

    @Test
    void sequenceLengthsAreCheckedAgainstTheLimitAndTheInput() throws SyncException {
        assertThat(reader("02 aa bb").readSeqLength(2)).isEqualTo(2);
        assertMalformed(() -> reader("03 aa bb cc").readSeqLength(2), "3 elements, at most 2 allowed");
        assertMalformed(() -> reader("03 aa bb").readSeqLength(100), "3 elements, only 2 bytes left");
        assertMalformed(() -> reader("80 80 80 80 08").readSeqLength(100), "2147483648 elements, at most 100");
    }

    @Test
    void durationsAreSecondsThenNanos() throws SyncException {
        PostcardWriter w = new PostcardWriter();
        w.writeDuration(Duration.ofSeconds(1, 500_000_000));
        w.writeDuration(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
        assertThat(hex(w.toByteArray())).isEqualTo("01" + "80cab5ee01" + "ffffffffffffffff7f" + "ff93ebdc03");
        PostcardReader r = new PostcardReader(w.toByteArray());
        assertThat(r.readDuration()).isEqualTo(Duration.ofSeconds(1, 500_000_000));
        assertThat(r.readDuration()).isEqualTo(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
        assertMalformed(() -> reader("00 80 94 eb dc 03").readDuration(), "must be below 10^9");      // 10^9 ns
        assertMalformed(() -> reader("80 80 80 80 80 80 80 80 80 01 00").readDuration(), "exceeds 2^63-1 s");
    }

    @Test
    void trailingBytesAreRefused() throws SyncException {
        PostcardReader r = reader("01 02");
        r.readU8();
        assertMalformed(r::expectEnd, "1 trailing bytes at offset 1");
    }

    @Test
    void offsetsCountFromTheStartOfTheSlice() throws SyncException {
        byte[] buffer = Vectors.hex("ff ff 05 02");
        PostcardReader r = new PostcardReader(buffer, 2, 2);
        assertThat(r.offset()).isZero();
        assertThat(r.readU8()).isEqualTo(5);
        assertMalformed(r::readBool, "at offset 1");
        assertMalformed(() -> new PostcardReader(buffer, 3, 1).readBool(), "at offset 0");
    }

    @Test
    void theWriterRefusesValuesOutsideTheirType() {
        PostcardWriter w = new PostcardWriter();
        assertThatThrownBy(() -> w.writeVarU32(1L << 32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.writeVarU32(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.writeU8(256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.writeDuration(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(w.size()).isZero();
    }

    @Test
    void theWriterGrowsPastItsFirstBuffer() throws SyncException {
        PostcardWriter w = new PostcardWriter();
        for (int i = 0; i < 1000; i++) {
            w.writeId(CommandId.of(MessageVectorsTest.filled(i)));
            w.writeVarU64(i);
        }
        PostcardReader r = new PostcardReader(w.toByteArray());
        for (int i = 0; i < 1000; i++) {
            assertThat(r.readId(CommandId::of)).isEqualTo(CommandId.of(MessageVectorsTest.filled(i)));
            assertThat(r.readVarU64()).isEqualTo(i);
        }
        r.expectEnd();
    }

    static PostcardReader reader(String hex) {
        return new PostcardReader(Vectors.hex(hex));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
