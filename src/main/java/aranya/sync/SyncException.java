package aranya.sync;

import java.util.Objects;

/**
 * A failure of a graph, protocol or transport operation, classified by {@link SyncError}.
 * Callers branch on {@link #error()}, never on the message text.
 */
public class SyncException extends Exception {
    private static final long serialVersionUID = 1L;

    private final SyncError error;

    public SyncException(SyncError error, String message) {
        super(message);
        this.error = Objects.requireNonNull(error, "error");
    }

    public SyncException(SyncError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    /** What went wrong. */
    public SyncError error() {
        return error;
    }

    /** The message without the error code in front. */
    public String reason() {
        return super.getMessage();
    }

    @Override
    public String getMessage() {
        return error + ": " + super.getMessage();
    }
}
