package aranya.sync.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.TestCommands;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.NodeBudget;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.RawClient;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.TransportConfig;
import aranya.sync.wire.FrameReader;
import aranya.sync.wire.FrameWriter;
import aranya.sync.wire.Limits;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.ResponseEnvelope;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncRequestMessage;
import aranya.sync.wire.SyncResponseMessage;
import aranya.sync.wire.SyncType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hostile peers against a real node over QUIC on loopback. Every attacker holds the team
 * secret (a member, or anyone it leaked to), so it gets past team authentication, whose own
 * attacks TeamAuthenticationTest covers (wrong secret, unknown team, replayed proof, relay).
 * Holding the secret must not let it write: nothing of a batch with one bad command is
 * stored, and the node records why as a typed {@code aranya.sync.ServeFailed} event (next to
 * SyncSession's log line). A peer that stalls is cut off by the session deadline, and one that
 * streams without end is verified and stored as it goes, not held. While each attack is under
 * way, an honest peer syncs with the same server and converges.
 */
class HostilePeerTest {
    /** The session deadline of a server under a stalling attack; an honest session needs a fraction of it. */
    private static final Duration SHORT_SESSIONS = Duration.ofSeconds(3);
    /** The deadline of a server that no attack here stalls. */
    private static final Duration LONG_SESSIONS = Duration.ofSeconds(30);
    /** A hostile peer's transport: it sends frames up to twice the size any node accepts. */
    private static final TransportConfig HOSTILE = TransportConfig.builder().maxMessageSize(2 * Limits.MAX_SYNC_MESSAGE_SIZE).build();
    private static final String HOST = "127.0.0.1";

    @TempDir
    Path dir;

    /** A member's key, which the attacker holds: its good commands are genuinely valid. */
    private final DeviceKey insider = DeviceKey.generate();
    private Nodes nodes;
    private ServeFailures failures;
    private SyncNode victim;
    private SyncNode honest;
    private TeamCredentials team;

    @BeforeEach
    void recordServeFailures() {
        nodes = new Nodes(dir);
        failures = new ServeFailures();
    }

    @AfterEach
    void closeEverything() throws Exception {
        failures.close();
        nodes.close();
    }

    /** What a hostile peer sends after two good commands; each must fail the whole batch with its error. */
    enum Injection {
        WRONG_ID(SyncError.INVALID_COMMAND_ID),
        BAD_SIGNATURE(SyncError.BAD_SIGNATURE),
        MISSING_PARENT(SyncError.NO_SUCH_PARENT),
        FORGED_MERGE(SyncError.BAD_MERGE_ID),
        OVERSIZED_COMMAND(SyncError.MALFORMED),
        OVERSIZED_FRAME(SyncError.MESSAGE_TOO_LARGE),
        FOREIGN_INIT(SyncError.WRONG_GRAPH),
        NON_MEMBER(SyncError.POLICY_REJECTED);

        final SyncError error;

        Injection(SyncError error) {
            this.error = error;
        }

        /** The frames of a session's responses: the good commands, then this injection, then SyncEnd. */
        List<byte[]> responses(SessionId session, List<Command> good, DeviceKey member) throws SyncException {
            return List.of(ScriptedServer.ok(new SyncResponseMessage.SyncResponse(session, 0, good)),
                    badFrame(session, good.getLast(), good.getFirst(), member),
                    ScriptedServer.ok(new SyncResponseMessage.SyncEnd(session, 2, false)));
        }

        private byte[] badFrame(SessionId session, Command last, Command first, DeviceKey member) throws SyncException {
            Command next = TestCommands.chain(member, last.address(), 1, 16).getFirst();
            return switch (this) {
                case OVERSIZED_FRAME -> new byte[Limits.MAX_SYNC_MESSAGE_SIZE + 1]; // a frame no node reads
                case WRONG_ID -> secondResponse(session, TestCommands.withId(next, TestCommands.randomId()));
                case BAD_SIGNATURE -> secondResponse(session, TestCommands.withBadSignature(next));
                case MISSING_PARENT -> secondResponse(session,
                        TestCommands.chain(member, new Address(TestCommands.randomId(), last.maxCut()), 1, 16).getFirst());
                case FORGED_MERGE -> secondResponse(session,
                        TestCommands.withId(Command.merge(last.address(), first.address()), TestCommands.randomId()));
                case OVERSIZED_COMMAND -> secondResponse(session, TestCommands.oversized(last.address()));
                case FOREIGN_INIT -> secondResponse(session, TeamMembersPolicy.createTeam(DeviceKey.generate(), List.of()));
                case NON_MEMBER -> secondResponse(session, TestCommands.chain(DeviceKey.generate(), last.address(), 1, 16).getFirst());
            };
        }

        private static byte[] secondResponse(SessionId session, Command bad) {
            return ScriptedServer.ok(new SyncResponseMessage.SyncResponse(session, 1, List.of(bad)));
        }
    }

    @ParameterizedTest
    @EnumSource(Injection.class)
    void whatAClientInjectsInItsBidirectionalAnswerIsRefusedWhole(Injection injection) throws Exception {
        startVictim(LONG_SESSIONS);
        List<Command> good = TestCommands.chain(insider, victim.heads(team.team()).getFirst(), 2, 16);
        try (SyncConnector attacker = new SyncConnector(HOSTILE);
                MessageStream stream = attacker.openStream(HOST, port(victim), team.team(), team.secret())) {
            SessionId servers = pollUntilTheServersRequest(stream, team.team());
            honestPeerConverges(); // while the victim waits for the attacker's answer
            assertThat(serverStored(stream, injection.responses(servers, good, insider))).isFalse();
        }
        assertThat(failures.next().error()).isEqualTo(injection.error);
        assertNothingStoredFrom(good);
    }

    @ParameterizedTest
    @EnumSource(Injection.class)
    void whatAServerInjectsIntoANodesPullIsRefusedWhole(Injection injection) throws Exception {
        startVictim(LONG_SESSIONS);
        List<Command> good = TestCommands.chain(insider, victim.heads(team.team()).getFirst(), 2, 16);
        CountDownLatch polled = new CountDownLatch(1);
        CountDownLatch honestSynced = new CountDownLatch(1);
        try (ScriptedServer attacker = ScriptedServer.start(team.team(), team.secret(), HOSTILE, (stream, poll) -> {
            polled.countDown();
            if (honestSynced.await(30, TimeUnit.SECONDS)) {
                for (byte[] frame : injection.responses(poll.request().sessionId(), good, insider)) {
                    stream.send(frame);
                }
                stream.finish();
            }
        })) {
            CompletableFuture<SyncSummary> pull = inBackground(() -> victim.syncNow(attacker.address(), team.team(), Optional.empty()));
            assertThat(polled.await(30, TimeUnit.SECONDS)).isTrue();
            honestPeerConverges(); // while the victim's own pull from the attacker is under way
            honestSynced.countDown();
            assertThat(pull).failsWithin(Duration.ofSeconds(30)).withThrowableThat().havingCause()
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(injection.error));
        }
        assertNothingStoredFrom(good);
    }

    @Test
    void aPeerAuthenticatedForOneTeamIsRefusedAnotherTeamOfTheSameServer() throws Exception {
        startVictim(LONG_SESSIONS);
        TeamCredentials other = victim.createTeam(List.of());
        victim.append(other.team(), "msg", "not for the attacker".getBytes(UTF_8));
        try (SyncConnector attacker = new SyncConnector(HOSTILE);
                MessageStream stream = attacker.openStream(HOST, port(victim), team.team(), team.secret())) {
            stream.send(poll(other.team(), false));
            stream.finish();
            byte[] reply = stream.receive().orElseThrow();
            assertThat(MessageCodec.decodeResponseEnvelope(reply, 0, reply.length)).isInstanceOf(ResponseEnvelope.Err.class);
            assertThat(stream.receive()).as("nothing after the refusal").isEmpty();
        }
        assertThat(failures.next().error()).isEqualTo(SyncError.AUTH_FAILED);
        honestPeerConverges();
    }

    @Test
    void aPeerThatStopsMidFrameIsCutOffByTheDeadlineWhileOthersSync() throws Exception {
        startVictim(SHORT_SESSIONS);
        try (RawClient attacker = new RawClient(port(victim))) {
            attacker.authenticate(team.team(), team.secret());
            RawClient.RawStream stream = attacker.rawStream();
            new FrameWriter(stream.out(), Limits.MAX_SYNC_MESSAGE_SIZE).writeFrame(poll(team.team(), true));
            // The start of its answer: a length prefix promising 1000 bytes, 100 of them, then silence.
            stream.out().write(ByteBuffer.allocate(4 + 100).putInt(1000).array());
            // The server's first response: it is in the session, which cannot end before that frame does.
            assertThat(new FrameReader(stream.in(), Limits.MAX_SYNC_MESSAGE_SIZE).readFrame()).isPresent();
            honestPeerConverges();
            assertThat(failures.next().error()).isEqualTo(SyncError.TIMEOUT);
        }
    }

    @Test
    void manyStreamsThatNeverEndAreEachCutOffByTheDeadlineWhileOthersSync() throws Exception {
        startVictim(SHORT_SESSIONS);
        int streams = 64;
        List<MessageStream> held = new ArrayList<>();
        try (SyncConnector attacker = new SyncConnector(HOSTILE)) {
            List<CompletableFuture<MessageStream>> opening = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                opening.add(inBackground(() -> {
                    MessageStream stream = attacker.openStream(HOST, port(victim), team.team(), team.secret());
                    pollUntilTheServersRequest(stream, team.team());
                    return stream; // never answered, never finished
                }));
            }
            for (CompletableFuture<MessageStream> stream : opening) {
                held.add(stream.get(30, TimeUnit.SECONDS));
            }
            // Every stream now holds a session on the server, waiting for an answer that never comes.
            honestPeerConverges();
            assertThat(failures.nextErrors(streams)).containsOnly(SyncError.TIMEOUT);
        } finally {
            held.forEach(MessageStream::close);
        }
    }

    @Test
    void aPeerThatNeverReadsIsCutOffByTheDeadlineWhileOthersSync() throws Exception {
        startVictim(SHORT_SESSIONS);
        for (int i = 0; i < 6; i++) {
            victim.append(team.team(), "bulk", new byte[100_000]);
        }
        // 600 kB to send against a 16 KiB window and kwik's 50 KiB send buffer: the server's writes block.
        TransportConfig narrow = TransportConfig.builder().streamReceiveWindow(16 * 1024).connectionReceiveWindow(16 * 1024).build();
        try (SyncConnector attacker = new SyncConnector(narrow);
                MessageStream stream = attacker.openStream(HOST, port(victim), team.team(), team.secret())) {
            stream.send(poll(team.team(), false));
            stream.finish();
            // The first response: the server is sending, and has far more to send than the attacker will ever read.
            assertThat(stream.receive()).isPresent();
            honestPeerConverges();
            assertThat(failures.next().error()).isEqualTo(SyncError.TIMEOUT);
        }
    }

    @Test
    void anAnswerThatNeverEndsIsVerifiedAndStoredAsItComesNotHeldUnverified() throws Exception {
        startVictim(SHORT_SESSIONS);
        // 45 valid commands of 200 kB, one per response: more bytes than one commit batch holds.
        List<Command> valid = TestCommands.chain(insider, victim.heads(team.team()).getFirst(), 45, 200_000);
        CountDownLatch storedBeforeTheEnd = new CountDownLatch(1);
        try (AutoCloseable stored = victim.onCommands(team.team(), batch -> storedBeforeTheEnd.countDown());
                SyncConnector attacker = new SyncConnector(HOSTILE);
                MessageStream stream = attacker.openStream(HOST, port(victim), team.team(), team.secret())) {
            SessionId servers = pollUntilTheServersRequest(stream, team.team());
            for (int i = 0; i < valid.size(); i++) {
                stream.send(ScriptedServer.ok(new SyncResponseMessage.SyncResponse(servers, i, List.of(valid.get(i)))));
            }
            // No SyncEnd, ever: the server must not keep all of it in memory, unverified, waiting for one.
            assertThat(storedBeforeTheEnd.await(30, TimeUnit.SECONDS)).isTrue();
            // Once the session times out, the messages that came whole after the last full batch are
            // kept too; the honest peer syncs after that, so the graph it converges to no longer grows.
            assertThat(failures.next().error()).isEqualTo(SyncError.TIMEOUT);
            assertThat(ids(victim)).containsAll(valid.stream().map(Command::id).toList());
            honestPeerConverges();
        }
    }

    /**
     * The victim serves the team, founded with the honest node and the insider key as members;
     * the honest node holds its graph. Attacker and honest peer share 127.0.0.1, so the victim
     * lets one address have more sessions than all attacks here open, and has receive windows
     * large enough for the never-ending answer to pass a commit batch within the short idle
     * timeout (NodeBudgetTest covers the limits themselves).
     */
    private void startVictim(Duration idleTimeout) throws Exception {
        victim = nodes.add(nodes.builder().listenAddress(Nodes.LOOPBACK).idleTimeout(idleTimeout)
                .budget(NodeBudget.builder().peerDataBytes(1L << 30).maxSessions(256, 256, 256).build()).open());
        honest = nodes.client();
        team = victim.createTeam(List.of(honest.devicePublicKey(), insider.publicKey()));
        honest.joinTeam(team);
        honest.syncNow(Nodes.at(victim), team.team(), Optional.empty());
    }

    /** Both write, then the honest node syncs both ways with the victim: it must get through and converge. */
    private void honestPeerConverges() throws Exception {
        Command victims = victim.append(team.team(), "msg", "from the victim".getBytes(UTF_8));
        Command honests = honest.append(team.team(), "msg", "from the honest peer".getBytes(UTF_8));
        honest.syncNow(Nodes.at(victim), team.team(), Nodes.BIDI);
        assertThat(ids(victim)).contains(victims.id(), honests.id());
        assertThat(honest.heads(team.team())).isEqualTo(victim.heads(team.team()));
    }

    /** Nothing the attacker sent is stored: the victim's graph is still the one the honest peer converged to. */
    private void assertNothingStoredFrom(List<Command> attackers) throws Exception {
        assertThat(ids(victim)).doesNotContainAnyElementsOf(attackers.stream().map(Command::id).toList());
        assertThat(victim.size(team.team())).isEqualTo(honest.size(team.team()));
        assertThat(victim.heads(team.team())).isEqualTo(honest.heads(team.team()));
    }

    private List<CommandId> ids(SyncNode node) throws SyncException {
        return node.commands(team.team()).stream().map(Command::id).toList();
    }

    private static int port(SyncNode node) {
        return node.listenAddress().orElseThrow().getPort();
    }

    /** A Poll with an empty sample: it asks for everything. */
    private static byte[] poll(GraphId team, boolean bidirectional) {
        return MessageCodec.encode(new SyncType.Poll(new SyncRequestMessage.SyncRequest(new SessionId(7, 7), team, 0, List.of()), bidirectional));
    }

    /** Polls bidirectionally, reads all the server sends up to its own request, and returns that request's session. */
    private static SessionId pollUntilTheServersRequest(MessageStream stream, GraphId team) throws IOException, SyncException {
        stream.send(poll(team, true));
        while (!(response(stream.receive().orElseThrow()) instanceof SyncResponseMessage.SyncEnd)) {
            // the server's commands: of no use to an attacker
        }
        byte[] request = stream.receive().orElseThrow();
        return ((SyncType.Poll) MessageCodec.decodeSyncType(request, 0, request.length)).request().sessionId();
    }

    private static SyncResponseMessage response(byte[] frame) throws SyncException {
        byte[] body = ((ResponseEnvelope.Ok) MessageCodec.decodeResponseEnvelope(frame, 0, frame.length)).payload().toByteArray();
        return MessageCodec.decodeSyncResponse(body, 0, body.length);
    }

    /** Sends an answer to the server's request; the server's finish would say it stored it, an Err or a reset that it did not. */
    private static boolean serverStored(MessageStream stream, List<byte[]> answer) {
        try {
            for (byte[] frame : answer) {
                stream.send(frame);
            }
            stream.finish();
            return stream.receive().isEmpty();
        } catch (IOException | SyncException e) {
            return false; // the server reset the stream
        }
    }

    private static <T> CompletableFuture<T> inBackground(Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                result.complete(call.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}
