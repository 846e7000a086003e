package aranya.sync.wire;

import static aranya.sync.wire.WireAssertions.assertMalformed;
import static aranya.sync.wire.WireAssertions.assertSyncError;
import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.Fuzzer;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Untrusted bytes, the cases worth spelling out: every cut of every vector, and lengths
 * claimed far beyond the input in each decoder. {@link WireFuzzTest} mutates at random.
 */
class HostileInputTest {

    @Test
    void everyTruncationOfEveryVectorFails() {
        for (MessageKind kind : MessageKind.ALL) {
            for (Map.Entry<String, byte[]> vector : Vectors.load(kind.vectorFile()).entrySet()) {
                byte[] bytes = vector.getValue();
                for (int length = 0; length < bytes.length; length++) {
                    byte[] prefix = Arrays.copyOf(bytes, length);
                    Object decoded;
                    try {
                        decoded = kind.decode(prefix);
                    } catch (SyncException e) {
                        assertThat(e.error()).isEqualTo(SyncError.MALFORMED);
                        continue;
                    }
                    // The one prefix that is a message: a Poll without its flag, as v0.22 sends it.
                    Object expected = MessageVectorsTest.EXPECTED.get(vector.getKey());
                    assertThat(expected).as("%s cut to %d bytes decoded as %s", vector.getKey(), length, decoded)
                            .isInstanceOf(SyncType.Poll.class);
                    assertThat(length).isEqualTo(bytes.length - 1);
                    assertThat(decoded).isEqualTo(new SyncType.Poll(((SyncType.Poll) expected).request(), false));
                }
            }
        }
    }

    @Test
    void aLengthPrefixClaimingTwoGigabytesFailsWithoutAllocatingIt() throws Throwable {
        // Ok(bytes) claiming 2^31 and 2^31-16 bytes, with 3 present. Had the decoder allocated
        // the claim, a 2 GiB array would not fit the test JVM's 2 GiB heap.
        for (String claim : List.of("80 80 80 80 08", "f0 ff ff ff 07")) {
            byte[] input = Vectors.hex("00 " + claim + " 01 02 03");
            assertMalformed(() -> MessageCodec.decodeResponseEnvelope(input, 0, input.length), "only 3 left");
            assertRefusedWithoutAllocating(MessageKind.ENVELOPE, input);
        }
        // A command meta claiming a 2^32-1 byte payload.
        byte[] response = Vectors.hex("00 01 00 01 20 bb*32 03 00 00 ff ff ff ff 0f 00 41 42");
        assertMalformed(() -> MessageCodec.decodeSyncResponse(response, 0, response.length), "4294967295");
        assertRefusedWithoutAllocating(MessageKind.SYNC_RESPONSE, response);
    }

    /** Every length and count field of every message, claiming 2^31 and more: refused, with almost nothing allocated. */
    @Test
    void everyLengthFieldClaimingMoreThanTheHeapIsRefusedWithoutAllocating() throws Throwable {
        String sid = "01";
        String graph = "20 aa*32";
        String huge = "ff ff ff ff ff ff ff ff ff 01"; // 2^64-1
        for (String envelope : List.of(
                "00 " + huge + " 01",                 // Ok: bytes of 2^64-1
                "01 80 80 80 80 08 41 42")) {         // Err: a string of 2^31 bytes
            assertRefusedWithoutAllocating(MessageKind.ENVELOPE, Vectors.hex(envelope));
        }
        for (String response : List.of(
                "00 " + sid + " 00 " + huge,                                        // 2^64-1 commands
                "00 " + sid + " 00 64 20 bb*32",                                      // 100 commands in 33 bytes
                "00 " + sid + " 00 01 20 bb*32 03 00 ff ff ff ff 0f 00 00 41",       // a policy of 2^32-1 bytes
                "00 " + sid + " 00 02 20 bb*32 03 00 00 80 80 80 80 08 00 "          // a payload of 2^31 bytes, then
                        + "20 cc*32 01 00 01 20 bb*32 00 00 00 01 41")) {           // a second command
            assertRefusedWithoutAllocating(MessageKind.SYNC_RESPONSE, Vectors.hex(response));
        }
        for (String syncType : List.of(
                "00 00 " + sid + " " + graph + " 00 " + huge,                       // Poll: a sample of 2^64-1 addresses
                "00 01 " + sid + " 80 80 80 80 10",                                  // Poll: 2^32 missing indexes
                "01 00 00 80 80 80 80 08",                                            // Subscribe: 2^31 addresses
                "03 00 " + sid + " 00 01 20 bb*32 03 00 00 ff ff ff ff 0f 00 " + graph + " 41")) { // Push: a 2^32-1 byte payload
            assertRefusedWithoutAllocating(MessageKind.SYNC_TYPE, Vectors.hex(syncType));
        }
    }

    /** A frame reader with no maximum of its own still allocates only as the bytes arrive. */
    @Test
    void aFrameClaimingTwoGigabytesIsNotAllocatedAhead() throws Throwable {
        byte[] claim = Vectors.hex("7f ff ff ff 01 02 03");
        assertMalformed(() -> new FrameReader(new ByteArrayInputStream(claim), Integer.MAX_VALUE).readFrame(),
                "3 bytes into the 2147483647-byte message");
        Fuzzer.assertRefusedWithoutAllocatingTheClaim(input -> WireFuzzTest.readFrames(input, Integer.MAX_VALUE), claim);
        byte[] tooLarge = Vectors.hex("ff ff ff ff 01");
        assertSyncError(() -> new FrameReader(new ByteArrayInputStream(tooLarge), Integer.MAX_VALUE).readFrame(),
                SyncError.MESSAGE_TOO_LARGE, "4294967295");
    }

    private static void assertRefusedWithoutAllocating(MessageKind kind, byte[] input) throws Throwable {
        Fuzzer.assertRefusedWithoutAllocatingTheClaim(WireFuzzTest.decodesToItself(kind), input);
    }
}
