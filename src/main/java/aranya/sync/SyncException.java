package aranya.sync;

import java.util.Objects;

/**
 * A failure of a graph, protocol or transport operation, classified by {@link SyncError}.
 * Callers branch on {@link #error()}, never on the message text.
 */
public class SyncException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure this is. */
    private final SyncError error;

    /**
     * An exception of that kind, with a message saying what happened.
     *
     * @param error what kind of failure it is
     * @param message what happened, without the error code (see {@link #reason()})
     */
    public SyncException(SyncError error, String message) {
        super(message);
        this.error = Objects.requireNonNull(error, "error");
    }

    /**
     * An exception of that kind, with a message saying what happened and the cause.
     *
     * @param error what kind of failure it is
     * @param message what happened, without the error code (see {@link #reason()})
     * @param cause the failure underneath, or null
     */
    public SyncException(SyncError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    /** {@return what went wrong} */
    public SyncError error() {
        return error;
    }

    /** {@return the message without the error code in front} */
    public String reason() {
        return super.getMessage();
    }

    @Override
    public String getMessage() {
        return error + ": " + super.getMessage();
    }
}
