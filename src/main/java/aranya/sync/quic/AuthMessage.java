package aranya.sync.quic;

import aranya.sync.graph.Bytes;
import aranya.sync.graph.GraphId;
import java.util.Objects;

/**
 * The messages of the team-authentication exchange, one per frame on a stream of its own
 * ({@link AuthCodec} has the byte layout; "end" is the empty frame that ends a side's messages):
 * <pre>
 *   client                                   server
 *     Hello {team, clientNonce}        --&gt;
 *                                      &lt;--   Challenge {serverNonce, serverMac}   (or Result{false})
 *     Proof {clientMac}, end           --&gt;
 *                                      &lt;--   Result {accepted}, end
 * </pre>
 * Both MACs cover the same transcript, which ends with the hash of the server's certificate
 * as each side sees it; {@link TeamAuth} computes them.
 */
sealed interface AuthMessage {
    /**
     * Opens the exchange.
     *
     * @param team the team (graph) the client wants to sync
     * @param clientNonce 32 fresh random bytes
     */
    record Hello(GraphId team, Bytes clientNonce) implements AuthMessage {
        public Hello {
            Objects.requireNonNull(team, "team");
            requireLength(clientNonce, TeamAuth.NONCE_LENGTH, "clientNonce");
        }
    }

    /**
     * The server's proof of the team secret, and its share of freshness.
     *
     * @param serverNonce 32 fresh random bytes
     * @param serverMac HMAC-SHA256 under the team key of "server" and the transcript
     */
    record Challenge(Bytes serverNonce, Bytes serverMac) implements AuthMessage {
        public Challenge {
            requireLength(serverNonce, TeamAuth.NONCE_LENGTH, "serverNonce");
            requireLength(serverMac, Hkdf.HASH_LENGTH, "serverMac");
        }
    }

    /**
     * The client's proof of the team secret.
     *
     * @param clientMac HMAC-SHA256 under the team key of "client" and the transcript
     */
    record Proof(Bytes clientMac) implements AuthMessage {
        public Proof {
            requireLength(clientMac, Hkdf.HASH_LENGTH, "clientMac");
        }
    }

    /**
     * The server's verdict. A refusal carries no reason: an unknown team, a wrong proof and a
     * rate-limited address look the same to the client.
     *
     * @param accepted whether the connection is now authenticated for the team
     */
    record Result(boolean accepted) implements AuthMessage {}

    private static void requireLength(Bytes value, int length, String name) {
        Objects.requireNonNull(value, name);
        if (value.length() != length) {
            throw new IllegalArgumentException(name + " is " + length + " bytes, got " + value.length());
        }
    }
}
