package aranya.sync.node;

import aranya.sync.SyncError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordingStream;

/**
 * The {@code aranya.sync.ServeFailed} JFR events committed in this JVM while open: how a test
 * learns, typed, why a node's server ended a peer's session, without reading log text.
 */
final class ServeFailures implements AutoCloseable {
    static final String EVENT = "aranya.sync.ServeFailed";

    /** One failed served session. */
    record Failure(String peer, SyncError error, String message) {}

    private final RecordingStream recording = new RecordingStream();
    private final BlockingQueue<Failure> failures = new LinkedBlockingQueue<>();

    ServeFailures() {
        recording.enable(EVENT);
        recording.onEvent(EVENT, e -> failures.add(
                new Failure(e.getString("peer_addr"), SyncError.valueOf(e.getString("error")), e.getString("message"))));
        recording.startAsync();
    }

    /**
     * The next failure. A server finds a silent peer within twice its idle timeout (20 s in the
     * tests with the longest) and JFR hands events over about once a second, so this waits up
     * to 60 s.
     */
    Failure next() throws InterruptedException {
        Failure f = failures.poll(60, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no served session failed within 60 s");
        }
        return f;
    }

    /** The errors of the next count failures. */
    List<SyncError> nextErrors(int count) throws InterruptedException {
        List<SyncError> errors = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            errors.add(next().error());
        }
        return errors;
    }

    @Override
    public void close() {
        recording.close();
    }
}
