package aranya.sync.wire;

import aranya.sync.graph.Bytes;
import java.util.Objects;

/**
 * The daemon-level wrapper of every reply frame (Aranya daemon {@code sync/types.rs}
 * {@code SyncResponse}): either the bytes of the responder's output or an error report. It
 * lets a server fail in-band instead of just dropping the stream.
 */
public sealed interface ResponseEnvelope {
    /**
     * Success.
     *
     * @param payload the encoded {@link SyncResponseMessage} with its command bodies; empty
     *     when there is nothing to sync, and for the reply to a hello
     */
    record Ok(Bytes payload) implements ResponseEnvelope {
        public Ok {
            Objects.requireNonNull(payload, "payload");
        }
    }

    /**
     * Failure.
     *
     * @param message the server's error report, for humans; never parsed
     */
    record Err(String message) implements ResponseEnvelope {
        public Err {
            Objects.requireNonNull(message, "message");
        }
    }
}
