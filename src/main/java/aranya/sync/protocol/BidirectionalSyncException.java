package aranya.sync.protocol;

import aranya.sync.SyncException;

/**
 * The second half of a bidirectional sync failed after the first half succeeded (Aranya's
 * bidirectional-sync proposal calls this {@code BidirectionalSyncError}, with these two
 * variants). It is the cause of the {@link SyncException} that the sync call throws (where
 * Aranya wraps it in {@code SyncError::Other}); that exception keeps the underlying error code. What the first half delivered stays committed.
 */
public abstract sealed class BidirectionalSyncException extends Exception
        permits BidirectionalSyncException.ServerRequestFailed, BidirectionalSyncException.ClientResponseFailed {
    private static final long serialVersionUID = 1L;

    BidirectionalSyncException(String message, SyncException cause) {
        super(message, cause);
    }

    /** {@return the failure underneath} */
    public SyncException failure() {
        return (SyncException) getCause();
    }

    /** Our sync succeeded, but the server's request that followed on the same stream failed. */
    public static final class ServerRequestFailed extends BidirectionalSyncException {
        private static final long serialVersionUID = 1L;

        ServerRequestFailed(SyncException cause) {
            super("server sync request failed after a successful sync response: " + cause.reason(), cause);
        }
    }

    /** The server's request arrived, but our response to it failed. */
    public static final class ClientResponseFailed extends BidirectionalSyncException {
        private static final long serialVersionUID = 1L;

        ClientResponseFailed(SyncException cause) {
            super("client response to the server's request failed: " + cause.reason(), cause);
        }
    }
}
