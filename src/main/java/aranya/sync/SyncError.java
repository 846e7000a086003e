package aranya.sync;

import java.util.Optional;

/**
 * The one error vocabulary of aranya-sync, shared by every layer. Each code has a stable
 * number that the QUIC transport uses as its application error code when it resets a stream.
 */
public enum SyncError {
    /** A command names a parent that is neither stored nor earlier in the same batch. */
    NO_SUCH_PARENT(1),
    /** A command's id is not the hash of its content and signature. */
    INVALID_COMMAND_ID(2),
    /** A command's Ed25519 signature does not verify under its author's key. */
    BAD_SIGNATURE(3),
    /** A merge command's id is not the merge id of its two parents. */
    BAD_MERGE_ID(4),
    /** An init command for another graph, or a request naming a graph other than the session's. */
    WRONG_GRAPH(5),
    /** The graph's policy refused a correctly signed command. */
    POLICY_REJECTED(6),
    /** Two concurrent finalize commands: the graph can no longer be ordered. */
    PARALLEL_FINALIZE(7),
    /** Bytes that do not decode: truncated, trailing garbage, bad tags, out-of-range values. */
    MALFORMED(8),
    /** No graph with that id is stored here. */
    NO_SUCH_GRAPH(9),
    /** The store failed to read or write; the batch was not committed. */
    STORAGE(10),
    /** A sync message carries a session id other than the session's. */
    SESSION_MISMATCH(11),
    /** A response index was skipped or repeated. */
    MISSING_SYNC_RESPONSE(12),
    /** A well-formed message that is not allowed at this point of the exchange. */
    UNEXPECTED_MESSAGE(13),
    /** A frame or message larger than the configured maximum. */
    MESSAGE_TOO_LARGE(14),
    /** The peer could not prove it holds the team secret, or we could not. */
    AUTH_FAILED(15),
    /** A network wait passed its deadline. */
    TIMEOUT(16),
    /** The peer answered with an error of its own. */
    PEER_ERROR(17),
    /** The peer or the transport went away mid-exchange. */
    TRANSPORT(18),
    /** More commands than one message may carry. */
    COMMAND_OVERFLOW(19),
    /** A request kind this implementation does not serve. */
    UNSUPPORTED_REQUEST(20),
    /** The peer already serves as many hello subscriptions as it allows (Aranya's {@code TooManySubscriptions}). */
    TOO_MANY_SUBSCRIPTIONS(21),
    /**
     * This side ended the session before it was done: the thread waiting in
     * {@code SyncNode.syncNow} was interrupted, the future of {@code syncAsync} was cancelled,
     * or the node closed. The session's stream is reset with this code; batches committed
     * before stay committed.
     */
    CANCELLED(22);

    private final int code;

    SyncError(int code) {
        this.code = code;
    }

    /** {@return the stable number of this error, used as the QUIC application error code} */
    public int code() {
        return code;
    }

    /**
     * {@return the error with that number, if any}
     *
     * @param code a number from {@link #code()}, e.g. a QUIC application error code
     */
    public static Optional<SyncError> fromCode(long code) {
        for (SyncError e : values()) {
            if (e.code == code) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
