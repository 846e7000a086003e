package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.MessageStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The listener's side of {@link TeamAuth}: answers a Hello with a challenge, checks the
 * client's proof, and refuses unknown teams and addresses with too many recent failures.
 * Every failure is logged (one line) and counted against the remote IP. A client that gives up
 * after our challenge counts as failed: that is what a client without the secret does, since
 * the server proves itself first.
 */
final class TeamAuthResponder {
    private static final System.Logger LOG = System.getLogger(TeamAuthResponder.class.getName());

    private final TeamSecrets secrets;
    private final FailedAuthLimiter limiter;
    private final byte[] certificateHash;

    TeamAuthResponder(TeamSecrets secrets, FailedAuthLimiter limiter, byte[] certificateHash) {
        this.secrets = secrets;
        this.limiter = limiter;
        this.certificateHash = certificateHash.clone();
    }

    /**
     * Runs the exchange that hello opened on stream.
     *
     * @param onAuthenticated told the team as soon as the proof checks out, before the client
     *     hears so: a sync stream it opens next must find its connection authenticated
     * @return the team the client proved it belongs to, or empty if it did not
     */
    Optional<GraphId> respond(MessageStream stream, byte[] hello, InetAddress remote, Consumer<GraphId> onAuthenticated) {
        AuthFailedEvent event = new AuthFailedEvent();
        event.begin();
        GraphId team = null;
        try {
            if (!(AuthCodec.decode(hello) instanceof AuthMessage.Hello(GraphId t, Bytes clientNonce))) {
                throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "an authentication exchange must open with Hello");
            }
            team = t;
            if (limiter.isLimited(remote)) {
                LOG.log(Level.WARNING, "team authentication from {0} for team {1} refused: too many recent failures", remote.getHostAddress(), team);
                record(event, stream, team, new SyncException(SyncError.AUTH_FAILED, "too many recent failures from " + remote.getHostAddress()));
                refuse(stream);
                return Optional.empty();
            }
            Optional<byte[]> secret = secrets.secretFor(team).filter(s -> s.length == TeamAuth.SECRET_LENGTH);
            if (secret.isEmpty()) {
                throw new SyncException(SyncError.AUTH_FAILED, "no secret for this team here");
            }
            byte[] key = TeamAuth.teamKey(secret.get(), team);
            Bytes serverNonce = TeamAuth.nonce();
            byte[] transcript = TeamAuth.transcript(team, clientNonce, serverNonce, certificateHash);
            TeamAuth.send(stream, new AuthMessage.Challenge(serverNonce, Bytes.of(TeamAuth.serverMac(key, transcript))));
            AuthMessage answer;
            try {
                answer = TeamAuth.receive(stream);
            } catch (SyncException e) {
                // A client whose secret differs cannot verify our proof and resets the stream.
                throw new SyncException(SyncError.AUTH_FAILED, "the peer dropped the exchange after our proof,"
                        + " as one holding another secret of the team does (a wrong team secret?): " + e.getMessage(), e);
            }
            if (!(answer instanceof AuthMessage.Proof(Bytes clientMac))) {
                throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "expected Proof");
            }
            if (!MessageDigest.isEqual(clientMac.toByteArray(), TeamAuth.clientMac(key, transcript))) {
                throw new SyncException(SyncError.AUTH_FAILED, "wrong proof");
            }
        } catch (SyncException e) {
            limiter.recordFailure(remote);
            LOG.log(Level.WARNING, "team authentication from {0} for team {1} failed: {2}", remote.getHostAddress(), team, e.getMessage());
            record(event, stream, team, e);
            refuse(stream);
            return Optional.empty();
        }
        onAuthenticated.accept(team);
        // If the verdict does not reach the client, it will simply try again.
        try {
            TeamAuth.send(stream, new AuthMessage.Result(true));
            TeamAuth.finish(stream);
            TeamAuth.expectEnd(stream);
        } catch (SyncException e) {
            LOG.log(Level.DEBUG, "team authentication from {0} for team {1}: the verdict was not delivered: {2}", remote.getHostAddress(), team, e.getMessage());
        }
        return Optional.of(team);
    }

    private static void record(AuthFailedEvent event, MessageStream stream, GraphId team, SyncException why) {
        if (event.isEnabled()) {
            event.peerAddr = stream.peer();
            event.team = team == null ? null : team.toHex();
            event.error = why.error().name();
            event.message = why.getMessage();
            event.commit();
        }
    }

    /** Tells the client no, if the stream still takes it, and ends our side. */
    private static void refuse(MessageStream stream) {
        try {
            TeamAuth.send(stream, new AuthMessage.Result(false));
            TeamAuth.finish(stream);
        } catch (SyncException e) {
            // The client is gone already; the listener closes the stream.
        }
    }
}
