package aranya.sync.quic;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps one kwik stream's data moving past kwik 0.10.8's lost send wake-up (kwik-notes
 * §6.1). kwik's sender can leave buffered data with no send request queued; then a writer
 * blocked on the full send buffer waits forever, and so does a peer waiting for the tail of a
 * message we wrote before going on to read. A zero-length {@code write} never blocks and
 * queues a fresh send request, so the transport timer issues one every kick interval for the
 * whole life of the stream's send side: while we write, while we wait for the peer, and after
 * the session while the last bytes drain.
 *
 * <p>A zero-length write leaves an empty buffer in kwik's queue, which kwik drops only when
 * real bytes follow it; a FIN queued behind it would never be sent. That is one reason this
 * transport never sends a FIN (see {@link QuicMessageStream}).
 */
final class StreamKicker {
    private static final byte[] EMPTY = new byte[0];

    private final OutputStream out;
    private final TransportTimer timer;
    private final Duration interval;
    private final Runnable onOutputGone;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile TransportTimer.Task task = () -> {};

    /**
     * A kicker for out, not yet started.
     *
     * @param interval how often to kick; zero turns the timer's kicks off
     * @param onOutputGone run once a kick finds the send side gone (reset by us or the peer)
     */
    StreamKicker(OutputStream out, TransportTimer timer, Duration interval, Runnable onOutputGone) {
        this.out = out;
        this.timer = timer;
        this.interval = interval;
        this.onOutputGone = onOutputGone;
    }

    /** Starts kicking every interval. */
    void start() {
        if (interval.isZero()) {
            return;
        }
        task = timer.every(interval, () -> {
            if (kick()) {
                timer.countKick();
            }
        });
        if (stopped.get()) {
            task.cancel(); // stopped while we scheduled: stop() may have cancelled the placeholder
        }
    }

    /**
     * Kicks once, now.
     *
     * @return whether the send side is still there; if not, the kicks stop and onOutputGone runs
     */
    boolean kick() {
        if (stopped.get()) {
            return false;
        }
        try {
            out.write(EMPTY);
            return true;
        } catch (IOException e) {
            stop();
            onOutputGone.run();
            return false;
        }
    }

    /** Stops the kicks for good. */
    void stop() {
        if (stopped.compareAndSet(false, true)) {
            task.cancel();
        }
    }
}
