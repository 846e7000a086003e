package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import aranya.sync.protocol.MessageStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * Team authentication bound to the TLS connection. kwik can
 * neither use an external PSK nor ask for client certificates, so after TLS both sides prove
 * they hold the team's 32-byte secret with a mutual challenge–response ({@link AuthMessage}).
 *
 * <p>The key is {@code k = HKDF-SHA256(ikm = team secret, salt = team id, info = "aranya-sync
 * team auth v1")}; the transcript is {@code team id | client nonce | server nonce |
 * SHA-256(server certificate DER)}; the server sends {@code HMAC(k, "server" | transcript)},
 * the client {@code HMAC(k, "client" | transcript)}. The client hashes the certificate that
 * its TLS handshake saw, the server its own, so a relay that terminates TLS with its own
 * certificate cannot splice two genuine peers together: the hashes differ, and so do the
 * MACs. Fresh nonces on both sides make every proof useless on any other exchange. The exchange
 * step by step, with a worked example of every value: docs/protocol.md, "Team authentication".
 */
final class TeamAuth {
    /** Bytes of a team secret. */
    static final int SECRET_LENGTH = 32;
    /** Bytes of each nonce. */
    static final int NONCE_LENGTH = 32;

    private static final byte[] KEY_INFO = "aranya-sync team auth v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_LABEL = "server".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_LABEL = "client".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private TeamAuth() {}

    /**
     * The client's side, on a fresh stream: returns once the server has accepted us for team.
     *
     * @param serverCertificateHash SHA-256 of the certificate our TLS handshake saw
     * @throws SyncException {@link SyncError#AUTH_FAILED} if the server refuses, or cannot prove
     *     it holds the secret; TIMEOUT, TRANSPORT or MALFORMED if the exchange breaks
     */
    static void authenticate(MessageStream stream, GraphId team, byte[] secret, byte[] serverCertificateHash)
            throws SyncException {
        sendProof(stream, team, secret, serverCertificateHash);
        awaitVerdict(stream, team);
    }

    /**
     * The client's first part: Hello, the server's challenge checked, our proof sent and our
     * side finished. A client may open its sync stream right after this, without waiting for
     * {@link #awaitVerdict}: the listener holds a sync stream until the connection's pending
     * authentications have ended, and refuses it unless one succeeded.
     */
    static void sendProof(MessageStream stream, GraphId team, byte[] secret, byte[] serverCertificateHash) throws SyncException {
        Bytes clientNonce = nonce();
        send(stream, new AuthMessage.Hello(team, clientNonce));
        AuthMessage.Challenge challenge = switch (receive(stream)) {
            case AuthMessage.Challenge c -> c;
            case AuthMessage.Result r -> throw refused(stream, team);
            case AuthMessage.Hello h -> throw unexpected(stream, h);
            case AuthMessage.Proof p -> throw unexpected(stream, p);
        };
        byte[] key = teamKey(secret, team);
        byte[] transcript = transcript(team, clientNonce, challenge.serverNonce(), serverCertificateHash);
        if (!MessageDigest.isEqual(challenge.serverMac().toByteArray(), serverMac(key, transcript))) {
            throw new SyncException(SyncError.AUTH_FAILED, "peer " + stream.peer() + " did not prove it holds the secret of team "
                    + team + " on this connection (another secret, or a relay in between)");
        }
        send(stream, new AuthMessage.Proof(Bytes.of(clientMac(key, transcript))));
        finish(stream);
    }

    /** The client's second part: the server's verdict on our proof, and the end of its messages. */
    static void awaitVerdict(MessageStream stream, GraphId team) throws SyncException {
        boolean accepted = switch (receive(stream)) {
            case AuthMessage.Result r -> r.accepted();
            case AuthMessage.Hello h -> throw unexpected(stream, h);
            case AuthMessage.Challenge c -> throw unexpected(stream, c);
            case AuthMessage.Proof p -> throw unexpected(stream, p);
        };
        if (!accepted) {
            throw refused(stream, team);
        }
        expectEnd(stream);
    }

    /** k: the team's authentication key. */
    static byte[] teamKey(byte[] secret, GraphId team) {
        if (secret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException("a team secret is " + SECRET_LENGTH + " bytes, got " + secret.length);
        }
        return Hkdf.derive(secret, team.toByteArray(), KEY_INFO, Hkdf.HASH_LENGTH);
    }

    /** team id | client nonce | server nonce | certificate hash. */
    static byte[] transcript(GraphId team, Bytes clientNonce, Bytes serverNonce, byte[] serverCertificateHash) {
        byte[] transcript = new byte[GraphId.LENGTH + 2 * NONCE_LENGTH + serverCertificateHash.length];
        team.copyTo(transcript, 0);
        clientNonce.copyTo(transcript, GraphId.LENGTH);
        serverNonce.copyTo(transcript, GraphId.LENGTH + NONCE_LENGTH);
        System.arraycopy(serverCertificateHash, 0, transcript, GraphId.LENGTH + 2 * NONCE_LENGTH, serverCertificateHash.length);
        return transcript;
    }

    static byte[] serverMac(byte[] key, byte[] transcript) {
        return Hkdf.hmac(key, SERVER_LABEL, transcript);
    }

    static byte[] clientMac(byte[] key, byte[] transcript) {
        return Hkdf.hmac(key, CLIENT_LABEL, transcript);
    }

    static Bytes nonce() {
        byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return Bytes.of(nonce);
    }

    static void send(MessageStream stream, AuthMessage message) throws SyncException {
        try {
            stream.send(AuthCodec.encode(message));
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "sending to " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }

    static void finish(MessageStream stream) throws SyncException {
        try {
            stream.finish();
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "finishing the stream to " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }

    /** The next auth message; the peer ending the stream here is a protocol error. */
    static AuthMessage receive(MessageStream stream) throws SyncException {
        Optional<byte[]> frame;
        try {
            frame = stream.receive();
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "receiving from " + stream.peer() + " failed: " + e.getMessage(), e);
        }
        if (frame.isEmpty()) {
            throw new SyncException(SyncError.AUTH_FAILED, "peer " + stream.peer() + " ended the authentication exchange early");
        }
        return AuthCodec.decode(frame.get());
    }

    /** The end of the peer's messages, with nothing before it. */
    static void expectEnd(MessageStream stream) throws SyncException {
        try {
            if (stream.receive().isPresent()) {
                throw new SyncException(SyncError.UNEXPECTED_MESSAGE, "peer " + stream.peer() + " sent more after the authentication exchange");
            }
        } catch (IOException e) {
            throw new SyncException(SyncError.TRANSPORT, "receiving from " + stream.peer() + " failed: " + e.getMessage(), e);
        }
    }

    private static SyncException refused(MessageStream stream, GraphId team) {
        return new SyncException(SyncError.AUTH_FAILED, "peer " + stream.peer() + " refused us for team " + team);
    }

    private static SyncException unexpected(MessageStream stream, AuthMessage message) {
        return new SyncException(SyncError.UNEXPECTED_MESSAGE, "peer " + stream.peer() + " sent "
                + message.getClass().getSimpleName() + " out of turn in the authentication exchange");
    }
}
