package aranya.sync.quic;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps one kwik stream's data moving past kwik 0.10.8's lost send wake-up (README, "kwik
 * 0.10.8 weaknesses we cannot patch"). kwik's sender can leave buffered data with no send
 * request queued; then a writer blocked on the full send buffer waits forever, and so does a
 * peer waiting for the tail of a message we wrote before going on to read. A zero-length {@code write} never blocks and
 * queues a fresh send request, so the transport timer issues one every kick interval for the
 * whole life of the stream's send side: while we write, while we wait for the peer, and after
 * the session while the last bytes drain.
 *
 * <p>A zero-length write leaves an empty buffer in kwik's queue, which kwik drops only when
 * real bytes follow it; a FIN queued behind it would never be sent. That is one reason this
 * transport never sends a FIN (see {@link QuicMessageStream}).
 *
 * <p>Those empty buffers also pile up while the peer's flow control holds our bytes back: kwik
 * builds no frame then, so it drops none. A peer that never reads would make every stream it
 * holds grow by one buffer (about 100 bytes of heap) per kick, 3,000 in a 30 s session: a
 * stalled flood's thousands of streams made that most of the node's heap. So the kicks start
 * with our first write (before it there is nothing to move; most of a flood's streams wait
 * unread for a session slot and never write), keep every interval while a write is in
 * progress, and once we only wait for the peer, each kick that follows no new write doubles
 * the wait before the next, up to {@link #MAX_BACKOFF} intervals. The next write brings the
 * wait back to one interval.
 */
final class StreamKicker {
    private static final byte[] EMPTY = new byte[0];
    /** The longest wait between two kicks while no write is in progress, in kick intervals. */
    static final int MAX_BACKOFF = 16;

    private final OutputStream out;
    private final TransportTimer timer;
    private final Duration interval;
    private final Runnable onOutputGone;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private TransportTimer.Task task = () -> {}; // guarded by this
    /** Intervals until the next kick: 1 after a write, doubling with every kick that followed none. */
    private int backoff = 1; // guarded by this
    /** The number of the kick scheduled last: an earlier one that still fires does nothing. */
    private long scheduled; // guarded by this
    private boolean started; // guarded by this
    private volatile boolean writing;

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

    /**
     * Starts kicking, first after one interval. Called once our side has written something:
     * before that, there is nothing a kick could move.
     */
    void start() {
        synchronized (this) {
            if (interval.isZero() || started || stopped.get()) {
                return;
            }
            started = true;
            scheduleNext();
        }
    }

    /** Whether a write is in progress: its kicks do not back off. */
    void writing(boolean inProgress) {
        writing = inProgress;
    }

    /** Our side wrote bytes: the next kick comes at most one interval from now, and every interval after. */
    void wrote() {
        synchronized (this) {
            if (!started) {
                start();
                return;
            }
            if (backoff <= 2 || stopped.get()) {
                backoff = 1; // the next kick is at most one interval away already
                return;
            }
            task.cancel();
            backoff = 1;
            scheduleNext();
        }
    }

    /** Schedules the next kick, which replaces any still scheduled. Holds this. */
    private void scheduleNext() {
        long kick = ++scheduled;
        int wait = backoff;
        backoff = writing ? 1 : Math.min(MAX_BACKOFF, wait * 2);
        task = timer.after(interval.multipliedBy(wait), () -> fire(kick));
    }

    private void fire(long kick) {
        synchronized (this) {
            if (kick != scheduled) {
                return; // replaced by a write's earlier kick
            }
        }
        if (kick()) {
            timer.countKick();
            synchronized (this) {
                if (kick == scheduled && !stopped.get()) {
                    scheduleNext();
                }
            }
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
            synchronized (this) {
                task.cancel();
            }
        }
    }
}
