package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.Priority;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.InMemoryStorageProvider;
import aranya.sync.protocol.InMemoryMessageStream;
import aranya.sync.protocol.PeerCache;
import aranya.sync.protocol.SyncSession;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.wire.SessionId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import aranya.sync.wire.FrameReader;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SyncHelloType;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance vectors of docs/conformance (format in docs/protocol.md, "Conformance
 * vectors"): each is decoded by the decoder it names and must give exactly its fields, or fail
 * with exactly its error; a valid vector must also encode back to its bytes unless it says
 * {@code reencode: differs}. The requester vectors run a real requester against a server that
 * sends their frames.
 */
class ConformanceVectorsTest {
    private static final Path DIR = Path.of("docs/conformance");
    private static final List<String> DECODERS = List.of("frame", "sync-type", "sync-response", "envelope", "auth", "requester");
    /** The session id the requester vectors write for the requester's own (its varint is 18 bytes). */
    private static final SessionId VECTOR_SESSION = new SessionId(0x0123456789abcdefL, 0x0123456789abcdefL);

    /** One vector as the file states it. */
    record Vector(String file, String name, String decoder, byte[] input, Optional<SyncError> error, List<String> fields,
            boolean elided, boolean reencodes) {
        @Override
        public String toString() {
            return file + " " + name;
        }
    }

    static Stream<Vector> vectors() throws IOException {
        List<Vector> all = new ArrayList<>();
        for (String decoder : DECODERS) {
            all.addAll(parse(decoder + ".txt", Files.readString(DIR.resolve(decoder + ".txt"))));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decodesAsTheVectorSays(Vector vector) throws Exception {
        if (vector.error().isPresent()) {
            SyncException e = catchThrowableOfType(SyncException.class, () -> decode(vector.decoder(), vector.input()));
            assertThat(e).as("%s must be refused with %s", vector, vector.error().get()).isNotNull();
            assertThat(e.error()).as("%s refused: %s", vector, e.getMessage()).isEqualTo(vector.error().get());
            return;
        }
        Object decoded = decode(vector.decoder(), vector.input());
        List<String> fields = fields(decoded);
        if (vector.elided()) {
            assertThat(fields).as("%s decoded, first fields", vector).startsWith(vector.fields().toArray(String[]::new));
        } else {
            assertThat(fields).as("%s decoded", vector).containsExactlyElementsOf(vector.fields());
        }
        if (vector.reencodes() && !vector.decoder().equals("requester")) {
            assertThat(HexFormat.of().formatHex(encode(decoded))).as("%s encoded again", vector)
                    .isEqualTo(HexFormat.of().formatHex(vector.input()));
        }
    }

    @Test
    void theValidVectorsCoverEveryVariantOfEveryMessage() throws IOException {
        Set<String> seen = new TreeSet<>();
        vectors().filter(v -> v.error().isEmpty()).forEach(v -> v.fields().stream()
                .filter(f -> f.matches("(type|request|hello|message|commands\\[\\d+]\\.priority|commands\\[\\d+]\\.parent|message\\.commands\\[\\d+]\\.priority|message\\.commands\\[\\d+]\\.parent) = .*"))
                .map(f -> v.decoder() + " " + f.replaceAll("\\[\\d+]", "[]").replaceAll("Basic\\(\\d+\\)", "Basic"))
                .forEach(seen::add));
        assertThat(seen).contains(
                "sync-type type = Poll", "sync-type type = Subscribe", "sync-type type = Unsubscribe", "sync-type type = Push",
                "sync-type type = Hello", "sync-type request = SyncRequest", "sync-type request = RequestMissing",
                "sync-type request = SyncResume", "sync-type request = EndSession", "sync-type hello = Subscribe",
                "sync-type hello = Unsubscribe", "sync-type hello = Hello",
                "sync-response type = SyncResponse", "sync-response type = SyncEnd", "sync-response type = Offer",
                "sync-response type = EndSession", "sync-response commands[].priority = Merge",
                "sync-response commands[].priority = Basic", "sync-response commands[].priority = Finalize",
                "sync-response commands[].priority = Init", "sync-response commands[].parent = None",
                "sync-response commands[].parent = Single", "sync-response commands[].parent = Merge",
                "envelope type = Ok", "envelope type = Err",
                "auth type = Hello", "auth type = Challenge", "auth type = Proof", "auth type = Result");
    }

    @Test
    void everyDecoderHasValidAndRefusedVectors() throws IOException {
        List<Vector> all = vectors().toList();
        for (String decoder : DECODERS) {
            assertThat(all).as("valid %s vectors", decoder).anyMatch(v -> v.decoder().equals(decoder) && v.error().isEmpty());
            assertThat(all).as("refused %s vectors", decoder).anyMatch(v -> v.decoder().equals(decoder) && v.error().isPresent());
        }
        assertThat(all.stream().map(Vector::toString).distinct().count()).as("vector names are unique").isEqualTo(all.size());
    }

    // ---- decoding ------------------------------------------------------------------------

    private static Object decode(String decoder, byte[] input) throws Exception {
        return switch (decoder) {
            case "frame" -> {
                FrameReader reader = new FrameReader(new ByteArrayInputStream(input), Limits.MAX_SYNC_MESSAGE_SIZE);
                List<byte[]> frames = new ArrayList<>();
                Optional<byte[]> frame;
                while ((frame = reader.readFrame()).isPresent()) {
                    frames.add(frame.get());
                }
                yield new Frames(frames);
            }
            case "sync-type" -> MessageCodec.decodeSyncType(input, 0, input.length);
            case "sync-response" -> MessageCodec.decodeSyncResponse(input, 0, input.length);
            case "envelope" -> MessageCodec.decodeResponseEnvelope(input, 0, input.length);
            case "auth" -> AuthCodec.decode(input);
            case "requester" -> request(input);
            default -> throw new IllegalArgumentException("no decoder " + decoder);
        };
    }

    private static byte[] encode(Object decoded) {
        return switch (decoded) {
            case Frames(List<byte[]> frames) -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (byte[] frame : frames) {
                    out.writeBytes(new byte[] {(byte) (frame.length >>> 24), (byte) (frame.length >>> 16), (byte) (frame.length >>> 8),
                            (byte) frame.length});
                    out.writeBytes(frame);
                }
                yield out.toByteArray();
            }
            case SyncType m -> MessageCodec.encode(m);
            case SyncResponseMessage m -> MessageCodec.encode(m);
            case ResponseEnvelope m -> MessageCodec.encode(m);
            case AuthMessage m -> AuthCodec.encode(m);
            default -> throw new IllegalArgumentException("cannot encode " + decoded);
        };
    }

    /** What a requester made of a unidirectional session. */
    private record Pulled(int received, boolean remaining) {}

    /**
     * Runs a real unidirectional requester (an empty graph's, over an in-memory stream) against a
     * server that answers its request with the frames of input, the vector's session id replaced
     * by the one the requester chose in every message that decodes as an Ok response.
     */
    private static Pulled request(byte[] input) throws Exception {
        List<byte[]> frames = ((Frames) decode("frame", input)).frames();
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair(Limits.MAX_SYNC_MESSAGE_SIZE, Duration.ofSeconds(30));
        try (Graph graph = Graph.open(new InMemoryStorageProvider().open(GraphId.of(new byte[32])), new TeamMembersPolicy());
                InMemoryMessageStream client = pair[0];
                InMemoryMessageStream server = pair[1]) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try {
                    byte[] poll = server.receive().orElseThrow();
                    SyncType.Poll request = (SyncType.Poll) MessageCodec.decodeSyncType(poll, 0, poll.length);
                    assertThat(server.receive()).as("the requester's end frame").isEmpty();
                    for (byte[] frame : frames) {
                        if (frame.length == 0) {
                            server.finish();
                        } else {
                            server.send(withSession(frame, request.request().sessionId()));
                        }
                    }
                } catch (IOException | SyncException e) {
                    throw new IllegalStateException("the scripted server failed", e);
                }
            }, Thread.ofVirtual()::start);
            SyncSummary pulled;
            try {
                pulled = new SyncSession(client, new PeerCache(), Limits.MAX_SYNC_MESSAGE_SIZE).requestSync(graph, false);
            } finally {
                client.close();
            }
            served.get(30, TimeUnit.SECONDS);
            return new Pulled(pulled.received(), pulled.remaining());
        }
    }

    /** frame with {@link #VECTOR_SESSION} replaced by session, if it is an Ok response of that session; else frame. */
    private static byte[] withSession(byte[] frame, SessionId session) {
        SyncResponseMessage message;
        try {
            if (!(MessageCodec.decodeResponseEnvelope(frame, 0, frame.length) instanceof ResponseEnvelope.Ok(Bytes payload))) {
                return frame;
            }
            byte[] body = payload.toByteArray();
            message = MessageCodec.decodeSyncResponse(body, 0, body.length);
        } catch (SyncException malformed) {
            return frame;
        }
        if (!message.sessionId().equals(VECTOR_SESSION)) {
            return frame;
        }
        SyncResponseMessage renamed = switch (message) {
            case SyncResponseMessage.SyncResponse r -> new SyncResponseMessage.SyncResponse(session, r.responseIndex(), r.commands());
            case SyncResponseMessage.SyncEnd e -> new SyncResponseMessage.SyncEnd(session, e.maxIndex(), e.remaining());
            case SyncResponseMessage.Offer o -> new SyncResponseMessage.Offer(session, o.head());
            case SyncResponseMessage.EndSession e -> new SyncResponseMessage.EndSession(session);
        };
        return MessageCodec.encode(new ResponseEnvelope.Ok(Bytes.of(MessageCodec.encode(renamed))));
    }

    /** What the frame decoder read: every frame up to the clean end of the input. */
    private record Frames(List<byte[]> frames) {}

    // ---- the decoded fields, as the vectors write them ------------------------------------

    private static List<String> fields(Object decoded) {
        List<String> out = new ArrayList<>();
        switch (decoded) {
            case Frames(List<byte[]> frames) -> {
                out.add("frames = " + frames.size());
                for (int i = 0; i < frames.size(); i++) {
                    out.add("frame[" + i + "].length = " + frames.get(i).length);
                    if (frames.get(i).length <= 64) {
                        out.add("frame[" + i + "] = " + bytes(frames.get(i)));
                    }
                }
            }
            case SyncType m -> syncType(out, m);
            case SyncResponseMessage m -> response(out, "", m);
            case ResponseEnvelope.Ok(Bytes payload) -> {
                out.add("type = Ok");
                out.add("payload = " + bytes(payload.toByteArray()));
            }
            case ResponseEnvelope.Err(String message) -> {
                out.add("type = Err");
                out.add("message = \"" + message + "\"");
            }
            case AuthMessage m -> auth(out, m);
            case Pulled(int received, boolean remaining) -> {
                out.add("received = " + received);
                out.add("remaining = " + remaining);
            }
            default -> throw new IllegalArgumentException("no fields for " + decoded);
        }
        return out;
    }

    private static void syncType(List<String> out, SyncType message) {
        out.add("type = " + message.getClass().getSimpleName());
        switch (message) {
            case SyncType.Poll(SyncRequestMessage request, boolean bidirectional) -> {
                out.add("request = " + request.getClass().getSimpleName());
                out.add("request.session_id = 0x" + request.sessionId());
                switch (request) {
                    case SyncRequestMessage.SyncRequest r -> {
                        out.add("request.graph_id = " + r.graphId().toHex());
                        out.add("request.max_bytes = " + Long.toUnsignedString(r.maxBytes()));
                        addresses(out, "request.commands", r.commands());
                    }
                    case SyncRequestMessage.RequestMissing r -> {
                        out.add("request.indexes = " + r.indexes().size());
                        for (int i = 0; i < r.indexes().size(); i++) {
                            out.add("request.indexes[" + i + "] = " + Long.toUnsignedString(r.indexes().get(i)));
                        }
                    }
                    case SyncRequestMessage.SyncResume r -> {
                        out.add("request.response_index = " + Long.toUnsignedString(r.responseIndex()));
                        out.add("request.max_bytes = " + Long.toUnsignedString(r.maxBytes()));
                    }
                    case SyncRequestMessage.EndSession r -> { }
                }
                out.add("bidirectional = " + bidirectional);
            }
            case SyncType.Subscribe(long remainOpen, long maxBytes, List<Address> commands, GraphId graphId) -> {
                out.add("remain_open = " + Long.toUnsignedString(remainOpen));
                out.add("max_bytes = " + Long.toUnsignedString(maxBytes));
                addresses(out, "commands", commands);
                out.add("graph_id = " + graphId.toHex());
            }
            case SyncType.Unsubscribe(GraphId graphId) -> out.add("graph_id = " + graphId.toHex());
            case SyncType.Push(SyncResponseMessage pushed, GraphId graphId) -> {
                response(out, "message.", pushed);
                out.add("graph_id = " + graphId.toHex());
            }
            case SyncType.Hello(SyncHelloType hello) -> {
                out.add("hello = " + hello.getClass().getSimpleName());
                switch (hello) {
                    case SyncHelloType.Subscribe s -> {
                        out.add("hello.graph_id = " + s.graphId().toHex());
                        duration(out, "hello.graph_change_delay", s.graphChangeDelay());
                        duration(out, "hello.duration", s.duration());
                        duration(out, "hello.schedule_delay", s.scheduleDelay());
                    }
                    case SyncHelloType.Unsubscribe u -> out.add("hello.graph_id = " + u.graphId().toHex());
                    case SyncHelloType.Hello h -> {
                        out.add("hello.graph_id = " + h.graphId().toHex());
                        out.add("hello.head.id = " + h.head().id().toHex());
                        out.add("hello.head.max_cut = " + h.head().maxCut());
                    }
                }
            }
        }
    }

    private static void response(List<String> out, String prefix, SyncResponseMessage message) {
        out.add(prefix + "type = " + message.getClass().getSimpleName());
        out.add(prefix + "session_id = 0x" + message.sessionId());
        switch (message) {
            case SyncResponseMessage.SyncResponse r -> {
                out.add(prefix + "response_index = " + Long.toUnsignedString(r.responseIndex()));
                out.add(prefix + "commands = " + r.commands().size());
                for (int i = 0; i < r.commands().size(); i++) {
                    Command c = r.commands().get(i);
                    String p = prefix + "commands[" + i + "].";
                    out.add(p + "id = " + c.id().toHex());
                    out.add(p + "priority = " + (c.priority() instanceof Priority.Basic(long value) ? "Basic(" + value + ")"
                            : c.priority().getClass().getSimpleName()));
                    out.add(p + "parent = " + c.parent().getClass().getSimpleName());
                    addressList(out, p + "parent", c.parent().addresses());
                    out.add(p + "max_cut = " + c.maxCut());
                    out.add(p + "policy = " + bytes(c.policy().toByteArray()));
                    out.add(p + "payload = " + bytes(c.payload().toByteArray()));
                }
            }
            case SyncResponseMessage.SyncEnd e -> {
                out.add(prefix + "max_index = " + Long.toUnsignedString(e.maxIndex()));
                out.add(prefix + "remaining = " + e.remaining());
            }
            case SyncResponseMessage.Offer o -> out.add(prefix + "head = " + o.head().toHex());
            case SyncResponseMessage.EndSession e -> { }
        }
    }

    private static void auth(List<String> out, AuthMessage message) {
        out.add("type = " + message.getClass().getSimpleName());
        switch (message) {
            case AuthMessage.Hello(GraphId team, Bytes clientNonce) -> {
                out.add("team = " + team.toHex());
                out.add("client_nonce = " + bytes(clientNonce.toByteArray()));
            }
            case AuthMessage.Challenge(Bytes serverNonce, Bytes serverMac) -> {
                out.add("server_nonce = " + bytes(serverNonce.toByteArray()));
                out.add("server_mac = " + bytes(serverMac.toByteArray()));
            }
            case AuthMessage.Proof(Bytes clientMac) -> out.add("client_mac = " + bytes(clientMac.toByteArray()));
            case AuthMessage.Result(boolean accepted) -> out.add("accepted = " + accepted);
        }
    }

    private static void addresses(List<String> out, String name, List<Address> addresses) {
        out.add(name + " = " + addresses.size());
        addressList(out, name, addresses);
    }

    private static void addressList(List<String> out, String name, List<Address> addresses) {
        for (int i = 0; i < addresses.size(); i++) {
            out.add(name + "[" + i + "].id = " + addresses.get(i).id().toHex());
            out.add(name + "[" + i + "].max_cut = " + addresses.get(i).maxCut());
        }
    }

    private static void duration(List<String> out, String name, Duration d) {
        out.add(name + " = " + d.getSeconds() + " s " + d.getNano() + " ns");
    }

    /** Bytes as lower-case hex; the empty string as {@code -}. */
    private static String bytes(byte[] value) {
        return value.length == 0 ? "-" : HexFormat.of().formatHex(value);
    }

    // ---- the file format ------------------------------------------------------------------

    /** Parses one vector file: see docs/protocol.md, "Conformance vectors". */
    static List<Vector> parse(String file, String text) {
        List<Vector> vectors = new ArrayList<>();
        Builder current = null;
        int lineNumber = 0;
        for (String raw : text.split("\n", -1)) {
            lineNumber++;
            int hash = raw.indexOf('#');
            String line = (hash < 0 ? raw : raw.substring(0, hash)).strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": expected 'key: value', got " + line);
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (key.equals("vector")) {
                if (current != null) {
                    vectors.add(current.build());
                }
                current = new Builder(file, value);
                continue;
            }
            if (current == null) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + key + "' before the first 'vector:'");
            }
            switch (key) {
                case "decoder" -> current.decoder = value;
                case "hex" -> current.hex.append(' ').append(value);
                case "outcome" -> current.outcome = value;
                case "field" -> current.fields.add(value);
                case "reencode" -> current.reencodes = !value.equals("differs");
                case "more-fields" -> current.elided = value.equals("elided");
                case "why" -> { } // for people: why the input is refused
                default -> throw new IllegalArgumentException(file + ":" + lineNumber + ": unknown key " + key);
            }
        }
        if (current != null) {
            vectors.add(current.build());
        }
        return vectors;
    }

    private static final class Builder {
        private final String file;
        private final String name;
        private String decoder;
        private final StringBuilder hex = new StringBuilder();
        private String outcome;
        private final List<String> fields = new ArrayList<>();
        private boolean reencodes = true;
        private boolean elided;

        Builder(String file, String name) {
            this.file = file;
            this.name = name;
        }

        Vector build() {
            if (decoder == null || outcome == null) {
                throw new IllegalArgumentException(file + " " + name + ": needs decoder and outcome");
            }
            Optional<SyncError> error = Optional.empty();
            if (!outcome.equals("ok")) {
                String[] parts = outcome.split("\\s+");
                if (parts.length != 3 || !parts[0].equals("error")) {
                    throw new IllegalArgumentException(file + " " + name + ": outcome is 'ok' or 'error NAME CODE', got " + outcome);
                }
                SyncError e = SyncError.valueOf(parts[1]);
                if (e.code() != Integer.parseInt(parts[2])) {
                    throw new IllegalArgumentException(file + " " + name + ": " + e + " is code " + e.code() + ", not " + parts[2]);
                }
                error = Optional.of(e);
            }
            return new Vector(file, name, decoder, hexBytes(hex.toString()), error, List.copyOf(fields), elided, reencodes);
        }
    }

    /**
     * Whitespace-separated tokens: a hex byte {@code 0a}; {@code 0a*32}, the byte 32 times; or a
     * group {@code [ ... ]*N}, the group's bytes N times.
     */
    static byte[] hexBytes(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> tokens = new ArrayList<>(List.of(text.replace("[", " [ ").replace("]", " ] ").trim().split("\\s+")));
        expand(tokens, 0, out, false);
        return out.toByteArray();
    }

    /** Writes tokens from index on until the end (or the group's closing bracket); returns the index after it. */
    private static int expand(List<String> tokens, int index, ByteArrayOutputStream out, boolean inGroup) {
        int i = index;
        while (i < tokens.size()) {
            String token = tokens.get(i);
            if (token.isEmpty()) {
                i++;
            } else if (token.equals("[")) {
                ByteArrayOutputStream group = new ByteArrayOutputStream();
                i = expand(tokens, i + 1, group, true);
                String times = tokens.get(i);
                if (!times.startsWith("*")) {
                    throw new IllegalArgumentException("a group ends with ]*N, got ]" + times);
                }
                for (int n = Integer.parseInt(times.substring(1)); n > 0; n--) {
                    out.writeBytes(group.toByteArray());
                }
                i++;
            } else if (token.equals("]")) {
                if (!inGroup) {
                    throw new IllegalArgumentException("] without [");
                }
                return i + 1;
            } else {
                String[] parts = token.split("\\*");
                if (parts[0].length() != 2 || parts.length > 2) {
                    throw new IllegalArgumentException("bad byte token " + token);
                }
                int b = HexFormat.fromHexDigits(parts[0]);
                for (int n = parts.length == 2 ? Integer.parseInt(parts[1]) : 1; n > 0; n--) {
                    out.write(b);
                }
                i++;
            }
        }
        if (inGroup) {
            throw new IllegalArgumentException("[ without ]");
        }
        return i;
    }
}
