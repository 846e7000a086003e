package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.protocol.HelloPublisher;
import aranya.sync.protocol.InMemoryMessageStream;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncHelloType;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of docs/protocol.md, regenerated: two real sync sessions between
 * in-memory peers with fixed keys (so fixed commands), their random session ids replaced by
 * fixed ones, and a team authentication computed with fixed secret, nonces and certificate
 * hash. Each example must equal its block in the document (between
 * {@code <!-- example:NAME begin -->} and {@code <!-- example:NAME end -->}); with
 * {@code -Daranya.protocol.rewrite=true} the test writes the blocks into the document instead.
 * The document's error tables are checked against {@link SyncError} too.
 */
class ProtocolExamplesTest {
    private static final Path DOC = Path.of("docs/protocol.md");
    private static final boolean REWRITE = Boolean.getBoolean("aranya.protocol.rewrite");
    private static final String REGENERATE = "mvn -B test -Dtest=ProtocolExamplesTest -Daranya.protocol.rewrite=true";
    private static final int MAX = Limits.MAX_SYNC_MESSAGE_SIZE;

    /** The session ids the examples show, in order of first appearance. */
    private static final List<SessionId> EXAMPLE_SESSIONS = List.of(
            new SessionId(0xf0e1d2c3b4a59687L, 0x78695a4b3c2d1e0fL), new SessionId(0x0123456789abcdefL, 0x0123456789abcdefL));

    private static final DeviceKey ALICE = DeviceKey.fromEncoded(filled(0x0a));
    private static final DeviceKey BOB = DeviceKey.fromEncoded(filled(0x0b));

    @Test
    void theUnidirectionalExampleIsARealSession() throws Exception {
        try (Peer alice = Peer.founding("alice"); Peer bob = Peer.joining("bob", alice.graph.id())) {
            alice.graph.append(ALICE, Priority.basic(1), "note", utf8("hi"));
            Transcript uni = Transcript.run(alice, bob, false);
            assertThat(uni.pulled().received()).isEqualTo(2);
            assertThat(bob.graph.heads()).isEqualTo(alice.graph.heads());
            check("uni", uni.annotate());
        }
    }

    @Test
    void theBidirectionalExampleIsARealSession() throws Exception {
        try (Peer alice = Peer.founding("alice"); Peer bob = Peer.joining("bob", alice.graph.id())) {
            alice.graph.append(ALICE, Priority.basic(1), "note", utf8("hi"));
            Transcript.run(alice, bob, false); // the unidirectional example: bob now holds both commands
            alice.graph.append(ALICE, Priority.basic(1), "note", utf8("from alice"));
            bob.graph.append(BOB, Priority.basic(1), "note", utf8("from bob"));
            Transcript bidi = Transcript.run(alice, bob, true);
            assertThat(bidi.pulled().received()).isEqualTo(1);
            assertThat(bidi.pulled().sent()).isEqualTo(1);
            assertThat(bidi.served().received()).isEqualTo(1);
            assertThat(bob.graph.heads()).isEqualTo(alice.graph.heads()).hasSize(2);
            check("bidi", bidi.annotate());
        }
    }

    @Test
    void theAuthenticationExampleFollowsTheKeyDerivation() throws Exception {
        GraphId team = Peer.team();
        byte[] secret = sequence(0x00);
        Bytes clientNonce = Bytes.of(sequence(0x20));
        Bytes serverNonce = Bytes.of(sequence(0x40));
        byte[] certificateHash = sequence(0x60);
        byte[] info = "aranya-sync team auth v1".getBytes(StandardCharsets.US_ASCII);

        byte[] prk = Hkdf.hmac(team.toByteArray(), secret); // HKDF-Extract: HMAC(salt, IKM)
        byte[] key = Hkdf.hmac(prk, info, new byte[] {1}); // HKDF-Expand, one block: HMAC(PRK, info | 0x01)
        assertThat(key).isEqualTo(TeamAuth.teamKey(secret, team));
        byte[] transcript = TeamAuth.transcript(team, clientNonce, serverNonce, certificateHash);
        byte[] serverMac = Hkdf.hmac(key, "server".getBytes(StandardCharsets.US_ASCII), transcript);
        byte[] clientMac = Hkdf.hmac(key, "client".getBytes(StandardCharsets.US_ASCII), transcript);
        assertThat(serverMac).isEqualTo(TeamAuth.serverMac(key, transcript));
        assertThat(clientMac).isEqualTo(TeamAuth.clientMac(key, transcript));

        WireAnnotator a = new WireAnnotator();
        a.heading("inputs (example values)");
        a.bytes(secret, "team secret (32 bytes, shared out of band)");
        a.bytes(team.toByteArray(), "team id (the graph id)");
        a.bytes(clientNonce.toByteArray(), "client nonce (32 random bytes)");
        a.bytes(serverNonce.toByteArray(), "server nonce (32 random bytes)");
        a.bytes(certificateHash, "H = SHA-256 of the server certificate (DER)");
        a.heading("key derivation: HKDF-SHA256(IKM = secret, salt = team id, info, L = 32)");
        a.bytes(info, "info = \"aranya-sync team auth v1\" (ASCII, 24 bytes)");
        a.bytes(prk, "PRK = HMAC-SHA256(key = team id, team secret)");
        a.bytes(key, "k = HMAC-SHA256(key = PRK, info || 01)");
        a.bytes(transcript, "transcript = team id || client nonce || server nonce || H (128 bytes)");
        a.bytes(serverMac, "server MAC = HMAC-SHA256(k, \"server\" || transcript)");
        a.bytes(clientMac, "client MAC = HMAC-SHA256(k, \"client\" || transcript)");
        String client = "client → server (auth stream)";
        String server = "server → client (auth stream)";
        authFrame(a, client, new AuthMessage.Hello(team, clientNonce));
        authFrame(a, server, new AuthMessage.Challenge(serverNonce, Bytes.of(serverMac)));
        authFrame(a, client, new AuthMessage.Proof(Bytes.of(clientMac)));
        a.frame(client, new byte[0], null);
        authFrame(a, server, new AuthMessage.Result(true));
        a.frame(server, new byte[0], null);
        check("auth", a.text());

        WireAnnotator refusal = new WireAnnotator();
        authFrame(refusal, client, new AuthMessage.Hello(team, clientNonce));
        authFrame(refusal, server, new AuthMessage.Result(false));
        refusal.frame(server, new byte[0], null);
        check("auth-refused", refusal.text());
    }

    @Test
    void theHelloSubscriptionExampleFollowsTheCodec() throws Exception {
        try (Peer alice = Peer.founding("alice")) {
            alice.graph.append(ALICE, Priority.basic(1), "note", utf8("hi"));
            GraphId team = alice.graph.id();
            Address head = alice.graph.syntheticHead().orElseThrow();
            WireAnnotator a = new WireAnnotator();
            String subscriber = "subscriber → publisher";
            String publisher = "publisher → subscriber";
            hello(a, subscriber, new SyncHelloType.Subscribe(team, Duration.ofMillis(100), Duration.ofHours(1), Duration.ZERO));
            a.frame(subscriber, new byte[0], null);
            byte[] accepted = MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.EMPTY));
            a.frame(publisher, accepted, new WireAnnotator.Body() {
                @Override
                public String summary() {
                    return "Ok(empty): the subscription is accepted";
                }

                @Override
                public void annotate(WireAnnotator.Fields f) throws SyncException {
                    f.variant("ResponseEnvelope", "Ok");
                    f.length("Ok payload", "bytes");
                }
            });
            hello(a, publisher, new SyncHelloType.Hello(team, head));
            a.frame(publisher, new byte[0], null);
            check("hello", a.text());
        }
    }

    /** The document's error tables name every error with its number, and no other. */
    @Test
    void theErrorTablesMatchTheErrorCodes() throws IOException {
        Matcher row = Pattern.compile("(?m)^\\| (\\d+) \\| `([A-Z_]+)` \\|").matcher(Files.readString(DOC));
        Set<String> documented = new TreeSet<>();
        while (row.find()) {
            documented.add(row.group(2) + " = " + row.group(1));
        }
        Set<String> codes = new TreeSet<>();
        for (SyncError e : SyncError.values()) {
            codes.add(e.name() + " = " + e.code());
        }
        assertThat(documented).as("error rows in %s", DOC).isEqualTo(codes);
    }

    private static void hello(WireAnnotator a, String direction, SyncHelloType hello) throws SyncException {
        byte[] bytes = MessageCodec.encode(new SyncType.Hello(hello));
        assertThat(MessageCodec.decodeSyncType(bytes, 0, bytes.length)).isEqualTo(new SyncType.Hello(hello));
        a.frame(direction, bytes, new WireAnnotator.Body() {
            @Override
            public String summary() {
                return "Hello(" + hello.getClass().getSimpleName() + ") (no envelope)";
            }

            @Override
            public void annotate(WireAnnotator.Fields f) throws SyncException {
                f.variant("SyncType", "Poll", "Subscribe", "Unsubscribe", "Push", "Hello");
                if (f.variant("SyncHelloType", "Subscribe", "Unsubscribe", "Hello") == 0) {
                    f.id("graph_id");
                    f.duration("graph_change_delay");
                    f.duration("duration");
                    f.duration("schedule_delay");
                } else {
                    f.id("graph_id");
                    f.id("head.id");
                    f.u64("head.max_cut");
                }
            }
        });
    }

    private static void authFrame(WireAnnotator a, String direction, AuthMessage message) throws SyncException {
        byte[] bytes = AuthCodec.encode(message);
        assertThat(AuthCodec.decode(bytes)).isEqualTo(message);
        a.frame(direction, bytes, new WireAnnotator.Body() {
            @Override
            public String summary() {
                return message.getClass().getSimpleName() + (message instanceof AuthMessage.Result(boolean ok) ? "{accepted = " + ok + "}" : "");
            }

            @Override
            public void annotate(WireAnnotator.Fields f) throws SyncException {
                f.u8("auth marker 0x80 (no SyncType has this first byte)");
                switch (f.variant("AuthMessage", "Hello", "Challenge", "Proof", "Result")) {
                    case 0 -> {
                        f.id("team");
                        f.byteString("client_nonce");
                    }
                    case 1 -> {
                        f.byteString("server_nonce");
                        f.byteString("server_mac");
                    }
                    case 2 -> f.byteString("client_mac");
                    default -> f.bool("accepted");
                }
            }
        });
    }

    /** Compares (or, with the rewrite flag, writes) the document's block for example name. */
    private static void check(String name, String text) throws IOException {
        String doc = Files.readString(DOC);
        String begin = "<!-- example:" + name + " begin -->\n";
        String end = "<!-- example:" + name + " end -->";
        int from = doc.indexOf(begin);
        int to = doc.indexOf(end);
        assertThat(from).as("%s has the marker %s", DOC, begin.strip()).isNotNegative();
        assertThat(to).as("%s has the marker %s after its begin marker", DOC, end).isGreaterThan(from);
        String expected = "```text\n" + text + "```\n";
        String actual = doc.substring(from + begin.length(), to);
        if (REWRITE) {
            Files.writeString(DOC, doc.substring(0, from + begin.length()) + expected + doc.substring(to));
            return;
        }
        assertThat(actual).as("example %s in %s differs from what the codec produces; if the change is intended, run %s",
                name, DOC, REGENERATE).isEqualTo(expected);
    }

    /** One node of an example: a graph, its peer cache, and its name (the peer cache's key on the other side). */
    private record Peer(String name, Graph graph, PeerCache cache) implements AutoCloseable {
        /** The example team's id: the id of alice's init command, which names bob as a member. */
        static GraphId team() {
            return GraphId.of(init().id());
        }

        static Command init() {
            return TeamMembersPolicy.createTeam(ALICE, List.of(BOB.publicKey()));
        }

        static Peer founding(String name) throws SyncException {
            Peer peer = joining(name, team());
            peer.graph.addCommands(List.of(init()));
            return peer;
        }

        static Peer joining(String name, GraphId team) throws SyncException {
            return new Peer(name, Graph.open(new InMemoryStorageProvider().open(team), new TeamMembersPolicy()), new PeerCache());
        }

        @Override
        public void close() throws SyncException {
            graph.close();
        }
    }

    private enum Kind { POLL, ENVELOPE, END }

    private record Frame(boolean fromClient, Kind kind, byte[] bytes) {}

    /** What both sides of one real session sent, in the order of the protocol's turns, with example session ids. */
    private record Transcript(List<Frame> frames, SyncSummary pulled, SyncSummary served) {
        static Transcript run(Peer server, Peer client, boolean bidirectional) throws Exception {
            InMemoryMessageStream[] pair = InMemoryMessageStream.pair(client.name, server.name, MAX, Duration.ofSeconds(30));
            Recording clientEnd = new Recording(pair[0]);
            Recording serverEnd = new Recording(pair[1]);
            try (HelloPublisher hellos = new HelloPublisher(1, Duration.ofSeconds(10)); clientEnd; serverEnd) {
                CompletableFuture<SyncSummary> served = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        served.complete(new SyncSession(serverEnd, server.cache, MAX).serve(
                                id -> id.equals(server.graph.id()) ? Optional.of(server.graph) : Optional.empty(), id -> true, hellos));
                    } catch (SyncException | RuntimeException e) {
                        served.completeExceptionally(e);
                    }
                });
                SyncSummary pulled = new SyncSession(clientEnd, client.cache, MAX).requestSync(client.graph, bidirectional);
                SyncSummary pushed = served.get(30, TimeUnit.SECONDS);
                List<Frame> fromClient = frames(true, clientEnd.sent, true, bidirectional);
                List<Frame> fromServer = frames(false, serverEnd.sent, false, bidirectional);
                // The turns: the client's request; the server's answer (and request); the client's answer; the server's end.
                List<Frame> ordered = new ArrayList<>();
                if (bidirectional) {
                    ordered.add(fromClient.getFirst());
                    ordered.addAll(fromServer.subList(0, fromServer.size() - 1));
                    ordered.addAll(fromClient.subList(1, fromClient.size()));
                    ordered.add(fromServer.getLast());
                } else {
                    ordered.addAll(fromClient);
                    ordered.addAll(fromServer);
                }
                return new Transcript(withExampleSessions(ordered), pulled, pushed);
            }
        }

        /**
         * Classifies one side's frames by the grammar of its role: the client sends its Poll first,
         * the server its Poll after its SyncEnd (bidirectional only); envelopes otherwise; the
         * empty frame last.
         */
        private static List<Frame> frames(boolean client, List<byte[]> sent, boolean pollFirst, boolean bidirectional) throws SyncException {
            List<Frame> frames = new ArrayList<>();
            boolean pollDue = pollFirst;
            for (byte[] bytes : sent) {
                Kind kind;
                if (bytes.length == 0) {
                    kind = Kind.END;
                } else if (pollDue) {
                    kind = Kind.POLL;
                    pollDue = false;
                } else {
                    kind = Kind.ENVELOPE;
                    pollDue = !client && bidirectional && response(bytes) instanceof SyncResponseMessage.SyncEnd;
                }
                frames.add(new Frame(client, kind, bytes));
            }
            assertThat(frames.getLast().kind()).as("a side's last frame is its end frame").isEqualTo(Kind.END);
            return frames;
        }

        /** The frames with their random session ids replaced by the example's, in order of appearance. */
        private static List<Frame> withExampleSessions(List<Frame> frames) throws SyncException {
            Map<SessionId, SessionId> ids = new LinkedHashMap<>();
            List<Frame> renamed = new ArrayList<>();
            for (Frame frame : frames) {
                byte[] bytes = switch (frame.kind()) {
                    case END -> frame.bytes();
                    case POLL -> {
                        SyncType.Poll poll = (SyncType.Poll) MessageCodec.decodeSyncType(frame.bytes(), 0, frame.bytes().length);
                        SyncRequestMessage.SyncRequest r = (SyncRequestMessage.SyncRequest) poll.request();
                        SessionId id = ids.computeIfAbsent(r.sessionId(), any -> EXAMPLE_SESSIONS.get(ids.size()));
                        yield MessageCodec.encode(new SyncType.Poll(
                                new SyncRequestMessage.SyncRequest(id, r.graphId(), r.maxBytes(), r.commands()), poll.bidirectional()));
                    }
                    case ENVELOPE -> {
                        SyncResponseMessage message = response(frame.bytes());
                        SessionId id = ids.get(message.sessionId());
                        SyncResponseMessage renamedMessage = switch (message) {
                            case SyncResponseMessage.SyncResponse r -> new SyncResponseMessage.SyncResponse(id, r.responseIndex(), r.commands());
                            case SyncResponseMessage.SyncEnd e -> new SyncResponseMessage.SyncEnd(id, e.maxIndex(), e.remaining());
                            default -> throw new IllegalStateException("a session sends responses and SyncEnd only, got " + message);
                        };
                        yield MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(renamedMessage))));
                    }
                };
                renamed.add(new Frame(frame.fromClient(), frame.kind(), bytes));
            }
            return renamed;
        }

        String annotate() throws SyncException {
            WireAnnotator a = new WireAnnotator();
            for (Frame frame : frames) {
                String direction = frame.fromClient() ? "client → server" : "server → client";
                a.frame(direction, frame.bytes(), frame.kind() == Kind.POLL ? pollBody(frame.bytes()) : envelopeBody(frame.bytes()));
            }
            return a.text();
        }
    }

    private static SyncResponseMessage response(byte[] envelope) throws SyncException {
        ResponseEnvelope.Ok ok = (ResponseEnvelope.Ok) MessageCodec.decodeResponseEnvelope(envelope, 0, envelope.length);
        byte[] payload = ok.payload().toByteArray();
        return MessageCodec.decodeSyncResponse(payload, 0, payload.length);
    }

    private static WireAnnotator.Body pollBody(byte[] bytes) throws SyncException {
        SyncType.Poll poll = (SyncType.Poll) MessageCodec.decodeSyncType(bytes, 0, bytes.length);
        SyncRequestMessage.SyncRequest request = (SyncRequestMessage.SyncRequest) poll.request();
        return new WireAnnotator.Body() {
            @Override
            public String summary() {
                return "Poll{SyncRequest with " + request.commands().size() + " sample addresses}, bidirectional = " + poll.bidirectional()
                        + " (no envelope)";
            }

            @Override
            public void annotate(WireAnnotator.Fields f) throws SyncException {
                f.variant("SyncType", "Poll");
                f.variant("SyncRequestMessage", "SyncRequest");
                f.session("session_id");
                f.id("graph_id");
                f.u64("max_bytes");
                long count = f.length("commands", "addresses");
                for (int i = 0; i < count; i++) {
                    f.id("commands[" + i + "].id");
                    f.u64("commands[" + i + "].max_cut");
                }
                f.note("address: the unit type over QUIC, no bytes");
                f.bool("bidirectional");
            }
        };
    }

    private static WireAnnotator.Body envelopeBody(byte[] bytes) throws SyncException {
        SyncResponseMessage message = bytes.length == 0 ? null : response(bytes);
        return new WireAnnotator.Body() {
            @Override
            public String summary() {
                return switch (message) {
                    case SyncResponseMessage.SyncResponse r -> "Ok(SyncResponse{response_index " + r.responseIndex() + ", "
                            + r.commands().size() + " commands})";
                    case SyncResponseMessage.SyncEnd e -> "Ok(SyncEnd{max_index " + e.maxIndex() + "})";
                    default -> throw new IllegalStateException("not in a session: " + message);
                };
            }

            @Override
            public void annotate(WireAnnotator.Fields f) throws SyncException {
                f.variant("ResponseEnvelope", "Ok");
                f.length("Ok payload", "bytes, all the rest of the frame");
                int tag = f.variant("SyncResponseMessage", "SyncResponse", "SyncEnd");
                f.session("session_id");
                if (tag == 1) {
                    f.u64("max_index");
                    f.bool("remaining");
                    return;
                }
                f.u64("response_index");
                long count = f.length("commands", "CommandMeta");
                long[][] lengths = new long[(int) count][];
                for (int i = 0; i < count; i++) {
                    String c = "commands[" + i + "]";
                    f.id(c + ".id");
                    if (f.variant(c + ".priority: Priority", "Merge", "Basic", "Finalize", "Init") == 1) {
                        f.u32(c + ".priority value");
                    }
                    int parents = f.variant(c + ".parent: Prior", "None", "Single", "Merge");
                    for (int p = 0; p < parents; p++) {
                        f.id(c + ".parent[" + p + "].id");
                        f.u64(c + ".parent[" + p + "].max_cut");
                    }
                    lengths[i] = new long[] {f.u32(c + ".policy_length"), f.u32(c + ".length")};
                    f.u64(c + ".max_cut");
                }
                f.note("the command bodies follow the last field, unprefixed, in command order:");
                for (int i = 0; i < count; i++) {
                    String c = "commands[" + i + "]";
                    if (lengths[i][0] > 0) {
                        f.raw(lengths[i][0], c + " policy (" + lengths[i][0] + " bytes)");
                    }
                    if (lengths[i][1] > 0) {
                        f.signedContent(c, lengths[i][1]);
                    }
                }
            }
        };
    }

    /** A MessageStream that records what its side sends (an empty array for the end frame). */
    private static final class Recording implements MessageStream {
        private final MessageStream stream;
        private final List<byte[]> sent = new ArrayList<>();
        private boolean finished;

        Recording(MessageStream stream) {
            this.stream = stream;
        }

        @Override
        public void send(byte[] message) throws IOException, SyncException {
            stream.send(message);
            sent.add(message.clone());
        }

        @Override
        public Optional<byte[]> receive() throws IOException, SyncException {
            return stream.receive();
        }

        @Override
        public void finish() throws IOException, SyncException {
            stream.finish();
            if (!finished) {
                finished = true;
                sent.add(new byte[0]);
            }
        }

        @Override
        public String peer() {
            return stream.peer();
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    private static byte[] filled(int b) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) b);
        return bytes;
    }

    /** 32 bytes counting up from first. */
    private static byte[] sequence(int first) {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (first + i);
        }
        return bytes;
    }

    private static Bytes utf8(String s) {
        return Bytes.of(s.getBytes(StandardCharsets.UTF_8));
    }
}
