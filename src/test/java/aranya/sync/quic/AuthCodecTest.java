package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncType;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthCodecTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Bytes A = filled(0xaa);
    private static final Bytes B = filled(0xbb);

    @Test
    void eachMessageHasTheDocumentedBytes() {
        GraphId team = QuicFixtures.team(0x11);
        assertThat(HEX.formatHex(AuthCodec.encode(new AuthMessage.Hello(team, A))))
                .isEqualTo("8000" + "20" + "11".repeat(32) + "20" + "aa".repeat(32));
        assertThat(HEX.formatHex(AuthCodec.encode(new AuthMessage.Challenge(A, B))))
                .isEqualTo("8001" + "20" + "aa".repeat(32) + "20" + "bb".repeat(32));
        assertThat(HEX.formatHex(AuthCodec.encode(new AuthMessage.Proof(B)))).isEqualTo("8002" + "20" + "bb".repeat(32));
        assertThat(HEX.formatHex(AuthCodec.encode(new AuthMessage.Result(true)))).isEqualTo("800301");
        assertThat(HEX.formatHex(AuthCodec.encode(new AuthMessage.Result(false)))).isEqualTo("800300");
    }

    @Test
    void everyMessageDecodesToItself() throws Exception {
        for (AuthMessage message : List.of(new AuthMessage.Hello(QuicFixtures.TEAM, A), new AuthMessage.Challenge(A, B),
                new AuthMessage.Proof(A), new AuthMessage.Result(true), new AuthMessage.Result(false))) {
            assertThat(AuthCodec.decode(AuthCodec.encode(message))).isEqualTo(message);
        }
    }

    @Test
    void aSyncRequestIsNeverTakenForAnAuthFrame() {
        byte[] poll = MessageCodec.encode(new SyncType.Poll(
                new SyncRequestMessage.SyncRequest(new SessionId(0, 1), QuicFixtures.TEAM, 100, List.of()), true));
        assertThat(AuthCodec.isAuthFrame(poll)).isFalse();
        assertThat(AuthCodec.isAuthFrame(MessageCodec.encode(new SyncType.Unsubscribe(QuicFixtures.TEAM)))).isFalse();
        assertThat(AuthCodec.isAuthFrame(AuthCodec.encode(new AuthMessage.Result(true)))).isTrue();
        assertThat(AuthCodec.isAuthFrame(new byte[0])).isFalse();
    }

    @Test
    void damagedFramesAreMalformed() {
        byte[] hello = AuthCodec.encode(new AuthMessage.Hello(QuicFixtures.TEAM, A));
        byte[] wrongMarker = hello.clone();
        wrongMarker[0] = (byte) 0x81;
        byte[] shortNonce = HEX.parseHex("8000" + "20" + "11".repeat(32) + "1f" + "aa".repeat(31));
        for (byte[] bad : new byte[][] {
                Arrays.copyOf(hello, hello.length - 1), Arrays.copyOf(hello, hello.length + 1), wrongMarker, shortNonce,
                HEX.parseHex("8004"), HEX.parseHex("800302"), HEX.parseHex("80")}) {
            assertThatThrownBy(() -> AuthCodec.decode(bad))
                    .as(HEX.formatHex(bad))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.MALFORMED));
        }
    }

    private static Bytes filled(int value) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) value);
        return Bytes.of(bytes);
    }
}
