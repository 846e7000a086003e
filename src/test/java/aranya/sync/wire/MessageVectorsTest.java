package aranya.sync.wire;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden vectors: every message variant against bytes derived by hand from the postcard rules
 * (src/test/resources/vectors; each byte group is annotated there). Checked both ways.
 */
class MessageVectorsTest {
    /** The spec's example session id, 0x0123456789abcdef0123456789abcdef. */
    static final SessionId SID = new SessionId(0x0123456789abcdefL, 0x0123456789abcdefL);
    static final SessionId ZERO_SID = new SessionId(0, 0);
    static final SessionId ONE_SID = new SessionId(0, 1);
    static final GraphId GRAPH = GraphId.of(filled(0xaa));

    /** Vectors that only decode: we always write the flag, a v0.22 client never does. */
    static final Set<String> DECODE_ONLY = Set.of("poll-sync-request-legacy-no-flag");

    static final Map<String, Object> EXPECTED = Map.ofEntries(
            // sync-type.txt
            Map.entry("poll-sync-request-spec", new SyncType.Poll(
                    new SyncRequestMessage.SyncRequest(SID, GRAPH, 0, List.of(address(0xbb, 5))), false)),
            Map.entry("poll-sync-request-legacy-no-flag", new SyncType.Poll(
                    new SyncRequestMessage.SyncRequest(SID, GRAPH, 0, List.of(address(0xbb, 5))), false)),
            Map.entry("poll-sync-request-bidirectional", new SyncType.Poll(
                    new SyncRequestMessage.SyncRequest(ZERO_SID, GRAPH, -1L, List.of()), true)),
            Map.entry("poll-request-missing", new SyncType.Poll(
                    new SyncRequestMessage.RequestMissing(ONE_SID, List.of(0L, -1L)), false)),
            Map.entry("poll-sync-resume", new SyncType.Poll(
                    new SyncRequestMessage.SyncResume(ONE_SID, 128, 300), false)),
            Map.entry("poll-end-session", new SyncType.Poll(
                    new SyncRequestMessage.EndSession(new SessionId(-1L, -1L)), true)),
            Map.entry("subscribe", new SyncType.Subscribe(60, 65536, List.of(address(0xbb, 5)), GRAPH)),
            Map.entry("unsubscribe", new SyncType.Unsubscribe(GRAPH)),
            Map.entry("push-sync-response", new SyncType.Push(new SyncResponseMessage.SyncResponse(ONE_SID, 0, List.of(
                    new Command(id(0xdd), Priority.INIT, Prior.NONE, Bytes.of(new byte[8]), utf8("hi")))), GRAPH)),
            Map.entry("push-sync-end", new SyncType.Push(new SyncResponseMessage.SyncEnd(ONE_SID, 0, false), GRAPH)),
            Map.entry("hello-subscribe", new SyncType.Hello(new SyncHelloType.Subscribe(
                    GRAPH, Duration.ofMillis(1500), Duration.ofHours(1), Duration.ZERO))),
            Map.entry("hello-unsubscribe", new SyncType.Hello(new SyncHelloType.Unsubscribe(GRAPH))),
            Map.entry("hello-hello-spec", new SyncType.Hello(new SyncHelloType.Hello(GRAPH, address(0xbb, 7)))),
            // sync-response-message.txt
            Map.entry("sync-response-spec", new SyncResponseMessage.SyncResponse(SID, 0, List.of(
                    new Command(id(0xbb), Priority.basic(10), new Prior.Single(address(0xcc, 4)), Bytes.EMPTY, utf8("xyz"))))),
            Map.entry("sync-response-all-variants", new SyncResponseMessage.SyncResponse(ONE_SID, 1, List.of(
                    new Command(id(0x11), Priority.FINALIZE, new Prior.Single(address(0xcc, 4)), Bytes.EMPTY, utf8("A")),
                    new Command(id(0x22), Priority.MERGE, new Prior.Merge(address(0x11, 5), address(0xcc, 4)), Bytes.EMPTY, Bytes.EMPTY),
                    new Command(id(0x33), Priority.basic(0xFFFF_FFFFL), new Prior.Single(address(0x22, 6)),
                            utf8("pol"), Bytes.of(new byte[] {1, 2}))))),
            Map.entry("sync-response-empty", new SyncResponseMessage.SyncResponse(ONE_SID, 0, List.of())),
            Map.entry("sync-end-spec", new SyncResponseMessage.SyncEnd(SID, 0, false)),
            Map.entry("sync-end-remaining", new SyncResponseMessage.SyncEnd(ONE_SID, 127, true)),
            Map.entry("offer", new SyncResponseMessage.Offer(ONE_SID, id(0xdd))),
            Map.entry("end-session", new SyncResponseMessage.EndSession(ZERO_SID)),
            // response-envelope.txt
            Map.entry("ok-empty-spec", new ResponseEnvelope.Ok(Bytes.EMPTY)),
            Map.entry("ok-sync-end", new ResponseEnvelope.Ok(Bytes.of(new byte[] {0x01, 0x01, 0x7f, 0x01}))),
            Map.entry("err", new ResponseEnvelope.Err("né !!")));

    @TestFactory
    Stream<DynamicTest> everyVectorEncodesAndDecodes() {
        return MessageKind.ALL.stream().flatMap(kind -> Vectors.load(kind.vectorFile()).entrySet().stream()
                .map(vector -> DynamicTest.dynamicTest(kind + " " + vector.getKey(), () -> {
                    String name = vector.getKey();
                    byte[] bytes = vector.getValue();
                    assertThat(EXPECTED).as("an expected message for vector %s", name).containsKey(name);
                    Object expected = EXPECTED.get(name);
                    assertThat(kind.decode(bytes)).as("decode %s", name).isEqualTo(expected);
                    if (!DECODE_ONLY.contains(name)) {
                        assertThat(HexFormat.of().formatHex(kind.encode(expected)))
                                .as("encode %s", name)
                                .isEqualTo(HexFormat.of().formatHex(bytes));
                    }
                })));
    }

    @Test
    void everyExpectedMessageHasAVector() {
        Set<String> names = MessageKind.ALL.stream()
                .flatMap(kind -> Vectors.load(kind.vectorFile()).keySet().stream())
                .collect(java.util.stream.Collectors.toSet());
        assertThat(names).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
    }

    @Test
    void theVectorsCoverEveryVariant() {
        Set<Class<?>> seen = new java.util.HashSet<>();
        for (Object message : EXPECTED.values()) {
            seen.add(message.getClass());
            switch (message) {
                case SyncType.Poll poll -> seen.add(poll.request().getClass());
                case SyncType.Push push -> seen.add(push.message().getClass());
                case SyncType.Hello hello -> seen.add(hello.hello().getClass());
                default -> { }
            }
        }
        assertThat(seen).contains(
                SyncType.Poll.class, SyncType.Subscribe.class, SyncType.Unsubscribe.class,
                SyncType.Push.class, SyncType.Hello.class,
                SyncHelloType.Subscribe.class, SyncHelloType.Unsubscribe.class, SyncHelloType.Hello.class,
                SyncRequestMessage.SyncRequest.class, SyncRequestMessage.RequestMissing.class,
                SyncRequestMessage.SyncResume.class, SyncRequestMessage.EndSession.class,
                SyncResponseMessage.SyncResponse.class, SyncResponseMessage.SyncEnd.class,
                SyncResponseMessage.Offer.class, SyncResponseMessage.EndSession.class,
                ResponseEnvelope.Ok.class, ResponseEnvelope.Err.class);
    }

    @Test
    void theSpecExamplesAreQuotedVerbatim() {
        // The worked examples of Aranya's wire format (docs/protocol.md), with "<sid>" and "aa…aa" expanded.
        String sid = "ef9bafcdf8acd19181deb7de9af1d9a2a302";
        assertThat(Vectors.load("sync-response-message.txt").get("sync-end-spec"))
                .isEqualTo(Vectors.hex("01 " + spaced(sid) + " 00 00"));
        assertThat(Vectors.load("sync-type.txt").get("hello-hello-spec"))
                .isEqualTo(Vectors.hex("04 02 20 aa*32 20 bb*32 07"));
        assertThat(Vectors.load("sync-response-message.txt").get("sync-response-spec"))
                .isEqualTo(Vectors.hex("00 " + spaced(sid) + " 00 01 20 bb*32 01 0a 01 20 cc*32 04 00 03 05 78 79 7a"));
        assertThat(SID.toString()).isEqualTo("0123456789abcdef0123456789abcdef");
    }

    static byte[] filled(int b) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) b);
        return bytes;
    }

    static CommandId id(int b) {
        return CommandId.of(filled(b));
    }

    static Address address(int b, long maxCut) {
        return new Address(id(b), maxCut);
    }

    static Bytes utf8(String s) {
        return Bytes.of(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String spaced(String hex) {
        return hex.replaceAll("(..)", "$1 ");
    }
}
