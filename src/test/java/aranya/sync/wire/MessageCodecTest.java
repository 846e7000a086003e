package aranya.sync.wire;

import static aranya.sync.wire.MessageVectorsTest.GRAPH;
import static aranya.sync.wire.MessageVectorsTest.ONE_SID;
import static aranya.sync.wire.MessageVectorsTest.address;
import static aranya.sync.wire.WireAssertions.assertMalformed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.graph.Address;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the codec refuses beyond plain postcard: wrong tags, lying metas, overruns, excess. */
class MessageCodecTest {
    private static final String SPEC_RESPONSE_METAS =
            "00 01 00 01 20 bb*32 01 0a 01 20 cc*32 04"; // SyncResponse, session 1, index 0, 1 meta: id, Basic(10), Single({CC.., 4})

    @Test
    void aPollFlagOtherThanZeroOrOneIsRefused() {
        assertSyncTypeMalformed("00 03 01 02", "a bool is 00 or 01, got 02");
    }

    @Test
    void bytesAfterThePollFlagAreRefused() {
        assertSyncTypeMalformed("00 03 01 01 00", "1 trailing bytes at offset 4");
    }

    @Test
    void trailingBytesAreRefusedEverywhere() {
        assertSyncTypeMalformed("04 01 20 aa*32 00", "trailing");
        assertResponseMalformed(SPEC_RESPONSE_METAS + " 00 03 05 78 79 7a 00", "1 trailing bytes");
        assertResponseMalformed("03 00 ff", "trailing");
        assertEnvelopeMalformed("00 01 aa bb", "trailing");
    }

    @Test
    void unknownVariantsAreRefused() {
        assertSyncTypeMalformed("05", "unknown SyncType variant 5 at offset 0");
        assertSyncTypeMalformed("04 03", "unknown SyncHelloType variant 3 at offset 1");
        assertSyncTypeMalformed("00 04 01", "unknown SyncRequestMessage variant 4 at offset 1");
        assertResponseMalformed("04 01", "unknown SyncResponseMessage variant 4");
        assertResponseMalformed("00 01 00 01 20 bb*32 04", "unknown Priority variant 4");
        assertResponseMalformed("00 01 00 01 20 bb*32 00 03", "unknown Prior variant 3");
        assertEnvelopeMalformed("02 00", "unknown ResponseEnvelope variant 2");
        assertSyncTypeMalformed("ff ff ff ff 0f", "variant index 4294967295 names no variant");
    }

    @Test
    void aMaxCutThatDisagreesWithTheParentsIsRefused() {
        assertResponseMalformed(SPEC_RESPONSE_METAS + " 00 03 06 78 79 7a", "claims max cut 6, its parents give 5");
        assertResponseMalformed("00 01 00 01 20 bb*32 03 00 00 00 01", "claims max cut 1, its parents give 0");
        // Merge({11.., 5}, {CC.., 9}) must be at 10.
        assertResponseMalformed("00 01 00 01 20 22*32 00 02 20 11*32 05 20 cc*32 09 00 00 06", "its parents give 10");
    }

    @Test
    void aParentAtTheLargestMaxCutHasNoValidChild() {
        // Single({CC.., 2^63-1}): the child's max cut would overflow.
        assertResponseMalformed("00 01 00 01 20 bb*32 01 0a 01 20 cc*32 ff ff ff ff ff ff ff ff 7f 00 00 00",
                "a parent at the largest max cut");
    }

    @Test
    void aMaxCutBeyondALongIsRefused() {
        assertSyncTypeMalformed("04 02 20 aa*32 20 bb*32 80 80 80 80 80 80 80 80 80 01", "max cut 9223372036854775808 exceeds 2^63-1");
    }

    @Test
    void aMergeOfACommandWithItselfIsRefused() {
        assertResponseMalformed("00 01 00 01 20 22*32 00 02 20 11*32 05 20 11*32 05 00 00 06", "with itself");
    }

    @Test
    void bodiesThatOverrunTheMessageAreRefused() {
        assertResponseMalformed(SPEC_RESPONSE_METAS + " 00 03 05 78 79", "needs 3 bytes, only 2 left");
        assertResponseMalformed(SPEC_RESPONSE_METAS + " 04 00 05 78 79", "needs 4 bytes, only 2 left");
        // Push: the bodies come after the graph id, and must be there.
        assertSyncTypeMalformed("03 " + SPEC_RESPONSE_METAS + " 00 03 05 20 aa*32 78 79", "needs 3 bytes");
    }

    @Test
    void listsBeyondTheirLimitAreRefused() {
        assertResponseMalformed("00 01 00 65", "101 elements, at most 100 allowed");
        assertSyncTypeMalformed("00 00 01 20 aa*32 00 65", "101 elements, at most 100 allowed");
        assertSyncTypeMalformed("00 01 01 65", "101 elements, at most 100 allowed");
        assertSyncTypeMalformed("01 00 00 65", "101 elements, at most 100 allowed");
    }

    @Test
    void recordsRefuseListsBeyondTheirLimit() {
        List<Address> sample = Collections.nCopies(Limits.COMMAND_SAMPLE_MAX + 1, address(0xbb, 1));
        assertThatThrownBy(() -> new SyncRequestMessage.SyncRequest(ONE_SID, GRAPH, 0, sample))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100");
        assertThatThrownBy(() -> new SyncType.Subscribe(0, 0, sample, GRAPH))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SyncRequestMessage.RequestMissing(ONE_SID, Collections.nCopies(101, 0L)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SyncResponseMessage.SyncResponse(ONE_SID, 0, null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void recordsCopyTheirLists() {
        List<Address> sample = new ArrayList<>(List.of(address(0xbb, 1)));
        var request = new SyncRequestMessage.SyncRequest(ONE_SID, GRAPH, 0, sample);
        sample.clear();
        assertThat(request.commands()).containsExactly(address(0xbb, 1));
        assertThatThrownBy(() -> request.commands().add(address(0xcc, 2))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void sessionIds() {
        assertThat(new SessionId(0, 1)).hasToString("00000000000000000000000000000001");
        assertThat(new SessionId(-1, -1)).hasToString("ffffffffffffffffffffffffffffffff");
        SecureRandom random = new SecureRandom();
        assertThat(SessionId.random(random)).isNotEqualTo(SessionId.random(random));
        SyncRequestMessage request = new SyncRequestMessage.EndSession(ONE_SID);
        assertThat(request.sessionId()).isEqualTo(ONE_SID);
    }

    private static void assertSyncTypeMalformed(String hex, String message) {
        byte[] bytes = Vectors.hex(hex);
        assertMalformed(() -> MessageCodec.decodeSyncType(bytes, 0, bytes.length), message);
    }

    private static void assertResponseMalformed(String hex, String message) {
        byte[] bytes = Vectors.hex(hex);
        assertMalformed(() -> MessageCodec.decodeSyncResponse(bytes, 0, bytes.length), message);
    }

    private static void assertEnvelopeMalformed(String hex, String message) {
        byte[] bytes = Vectors.hex(hex);
        assertMalformed(() -> MessageCodec.decodeResponseEnvelope(bytes, 0, bytes.length), message);
    }
}
