package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.protocol.MessageStream;
import aranya.sync.wire.FrameReader;
import aranya.sync.wire.FrameWriter;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;

/**
 * A {@link MessageStream} over one QUIC bidirectional stream: u32-framed messages
 * ({@link FrameReader}/{@link FrameWriter}), every blocking call bounded by the session's
 * {@link SessionDeadline}, every write kept moving by a {@link StreamKicker}. Each whole
 * message received or sent, and each {@value TransportConfig#PROGRESS_BYTES} bytes of one,
 * counts as progress and moves the deadline on. A sent chunk counts once kwik has taken it,
 * which it does only while its send buffer has room, i.e. while the peer acknowledges what
 * went before; so a peer that stops reading or vanishes stops our progress too.
 *
 * <p><b>No FIN.</b> kwik 0.10.8 can strand a FIN for good: behind the empty buffer a kick
 * leaves, or with the last bytes when its lost send wake-up strikes just as the FIN is queued,
 * after which nothing can kick the closed send side again (both seen in our stress runs). So
 * the end of our messages is in-band: {@link #finish()} sends an empty frame, which the peer's
 * {@link #receive()} reports as the end, and which the kicks keep moving like any other bytes.
 * The stream is torn down by STOP_SENDING instead: {@link #close()} aborts our reading (code
 * {@value #ENDED_NORMALLY}, "ended normally"), kwik answers the peer's abort by resetting our
 * send side, and the peer aborts only once it has read our empty frame, i.e. all we sent. Until
 * then our send side lingers, still kicked, bounded by the deadline. Both directions are then
 * closed, which is what returns the stream's credit to the peer. A peer that
 * does send a FIN is understood: the end of the stream also ends its messages. An empty
 * message cannot be sent ({@link #send} refuses it); no sync or auth message is empty.
 *
 * <p>When the deadline passes, the stream is aborted in both directions with the
 * {@link SyncError#TIMEOUT} code, which wakes a blocked read or write; the call then fails
 * with TIMEOUT. If a call is still blocked {@link #ABORT_GRACE} later (kwik 0.10.8 can miss
 * the wake-up of a reader), the whole connection is closed, which always wakes it. Every other
 * transport failure is {@link SyncError#TRANSPORT} with kwik's exception as the cause, so
 * callers only ever see {@link SyncException}. Not thread-safe: one session uses it at a time.
 */
final class QuicMessageStream implements MessageStream {
    private static final System.Logger LOG = System.getLogger(QuicMessageStream.class.getName());

    /** The QUIC application error code of a STOP_SENDING after a complete session. */
    static final long ENDED_NORMALLY = 0;

    /** The frame that ends our messages. */
    private static final byte[] END = new byte[0];

    /** How long an aborted call may stay blocked before its connection is closed to free it. */
    static final Duration ABORT_GRACE = Duration.ofSeconds(1);

    private final QuicStream stream;
    private final QuicConnection connection;
    private final String peer;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final StreamKicker kicker;
    private final TransportTimer timer;
    private final AtomicInteger blockedCalls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile SessionDeadline deadline;
    /** On a reused connection, until the peer's first message: the bound that detects a dead path. */
    private volatile SessionDeadline firstResponse;
    private volatile boolean firstResponseMissed;
    private volatile Runnable onClose = () -> {};
    private boolean receivedAny;
    private byte[] unread;
    private boolean finished;
    private boolean peerFinished;

    private QuicMessageStream(QuicStream stream, QuicConnection connection, String peer, SessionDeadline deadline,
            TransportConfig config, TransportTimer timer) {
        this.stream = stream;
        this.connection = connection;
        this.peer = peer;
        this.deadline = deadline;
        this.timer = timer;
        this.reader = new FrameReader(new Progressing(stream.getInputStream()), config.maxMessageSize());
        this.kicker = new StreamKicker(stream.getOutputStream(), timer, config.kickInterval(), this::outputGone);
        this.writer = new FrameWriter(new Unflushed(stream.getOutputStream(), kicker), config.maxMessageSize());
        watchSending(deadline);
    }

    /**
     * Opens a new stream on connection under deadline (which the stream then owns). Waiting
     * for stream credit is bounded by the deadline too: kwik's wait for credit has no timeout,
     * but it does give way to an interrupt.
     */
    static QuicMessageStream open(QuicConnection connection, String peer, SessionDeadline deadline,
            TransportConfig config, TransportTimer timer) throws SyncException {
        Thread opener = Thread.currentThread();
        if (!deadline.onExpiry(opener::interrupt)) {
            deadline.close();
            throw timeoutError("opening a stream to " + peer, "the session " + deadline.reason(), null);
        }
        QuicStream stream;
        try {
            stream = connection.createStream(true);
        } catch (IOException | RuntimeException e) {
            // kwik turns an interrupted wait for credit into a bare RuntimeException.
            deadline.close();
            if (deadline.expired()) {
                Thread.interrupted(); // our own watchdog's interrupt, not the caller's
                throw timeoutError("opening a stream to " + peer, "the session " + deadline.reason(), e);
            }
            throw new SyncException(SyncError.TRANSPORT, "opening a stream to " + peer + " failed: " + e.getMessage(), e);
        }
        QuicMessageStream opened = new QuicMessageStream(stream, connection, peer, deadline, config, timer);
        opened.armWatchdog(true);
        return opened;
    }

    /** A stream the peer opened, under deadline (which the stream then owns). */
    static QuicMessageStream accept(QuicStream stream, QuicConnection connection, String peer, SessionDeadline deadline,
            TransportConfig config, TransportTimer timer) throws SyncException {
        QuicMessageStream accepted = new QuicMessageStream(stream, connection, peer, deadline, config, timer);
        accepted.armWatchdog(false);
        return accepted;
    }

    /**
     * Sends one message.
     *
     * @throws IllegalArgumentException for an empty message: an empty frame ends our messages
     */
    @Override
    public void send(byte[] message) throws SyncException {
        if (message.length == 0) {
            throw new IllegalArgumentException("an empty message cannot be sent over QUIC: an empty frame ends the messages");
        }
        checkUsable("sending to");
        if (finished) {
            throw new IllegalStateException("send after finish on the stream to " + peer);
        }
        blocking("sending to", () -> {
            writer.writeFrame(message);
            return null;
        });
        deadline.progress();
    }

    @Override
    public Optional<byte[]> receive() throws SyncException {
        checkUsable("receiving from");
        if (unread != null) {
            byte[] first = unread;
            unread = null;
            return Optional.of(first);
        }
        if (peerFinished) {
            return Optional.empty();
        }
        Optional<byte[]> frame;
        try {
            frame = blocking("receiving from", reader::readFrame);
        } catch (SyncException e) {
            if (e.error() == SyncError.MESSAGE_TOO_LARGE || e.error() == SyncError.MALFORMED) {
                abort(e.error()); // the rest of the stream cannot be framed any more; tell the peer why
            }
            throw e;
        }
        deadline.progress();
        if (!receivedAny) {
            receivedAny = true;
            SessionDeadline first = firstResponse;
            if (first != null) {
                first.close();
            }
        }
        if (frame.isEmpty() || frame.get().length == 0) {
            peerFinished = true; // the peer's end frame (or its FIN)
            return Optional.empty();
        }
        return frame;
    }

    /** Sends the frame that ends our messages; idempotent. */
    @Override
    public void finish() throws SyncException {
        checkUsable("finishing the stream to");
        if (finished) {
            return;
        }
        blocking("finishing the stream to", () -> {
            writer.writeFrame(END);
            return null;
        });
        deadline.progress();
        finished = true;
    }

    @Override
    public String peer() {
        return peer;
    }

    /**
     * Ends the session; idempotent. After {@link #finish()}, our reading is aborted (as "ended
     * normally" if the peer's end frame was read, else with {@link SyncError#TRANSPORT}) and our
     * send side lingers until the peer ends it (see the class comment); without finish, both
     * directions are aborted with {@link SyncError#TRANSPORT}.
     */
    @Override
    public void close() {
        if (!finished) {
            abort(SyncError.TRANSPORT);
            return;
        }
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        onClose.run();
        closeFirstResponse();
        stream.abortReading(peerFinished ? ENDED_NORMALLY : SyncError.TRANSPORT.code());
        kicker.kick(); // if the peer has already ended our send side, this finds out and the stream is done
    }

    /**
     * Aborts both directions with reason's code as the QUIC application error code.
     * Idempotent; does nothing once the stream is closed.
     */
    void abort(SyncError reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        onClose.run();
        kicker.stop();
        deadline.close();
        closeFirstResponse();
        stream.abortReading(reason.code());
        stream.resetStream(reason.code());
    }

    /**
     * Makes the next {@link #receive()} return frame, which was read before this stream was
     * handed on (the listener reads the first frame to tell auth from sync streams).
     */
    void unread(byte[] frame) {
        if (unread != null) {
            throw new IllegalStateException("one frame is already pushed back");
        }
        unread = frame;
    }

    /** Shortens the deadline to at most budget from now (the listener's auth exchange). */
    void narrowDeadline(Duration budget) throws SyncException {
        SessionDeadline narrowed = deadline.narrowed(budget);
        deadline.close();
        deadline = narrowed;
        armWatchdog(false);
    }

    /**
     * Starts a new session deadline in place of the current one: for a stream the listener
     * held under the auth bound while its connection finished authenticating.
     */
    void restartDeadline(SessionDeadline next) throws SyncException {
        deadline.close();
        deadline = next;
        watchSending(next);
        armWatchdog(false);
    }

    /**
     * Requires the peer's first message within timeout (on a connection that sat in the pool,
     * whose path may have died meanwhile); if it does not come, the stream is aborted and the
     * blocked call fails with TIMEOUT, and {@link #firstResponseMissed()} says why.
     */
    void expectFirstResponseWithin(Duration timeout) {
        SessionDeadline first = SessionDeadline.fixed(timer, timeout);
        firstResponse = first;
        first.onExpiry(() -> {
            firstResponseMissed = true;
            expire();
        });
    }

    /** Runs action once when the stream is closed or aborted (set right after opening, before any use). */
    void onClose(Runnable action) {
        onClose = action;
    }

    /** Whether the stream was aborted because the peer's first message did not come in time. */
    boolean firstResponseMissed() {
        return firstResponseMissed;
    }

    /** Whether anything (a message or the end of the messages) came from the peer. */
    boolean receivedAnything() {
        return receivedAny;
    }

    /** Lets session's deadline see the connection send (see {@link SessionDeadline#watchSending}). */
    private void watchSending(SessionDeadline session) {
        if (connection != null) { // null only for the fake streams of unit tests
            session.watchSending(() -> connection.getStats().dataBytesSent());
        }
    }

    /** Time left before the session deadline as it stands now (progress moves it on). */
    Duration remaining() {
        return deadline.remaining();
    }

    /** The stream's QUIC id, for log lines. */
    int streamId() {
        return stream.getStreamId();
    }

    private void armWatchdog(boolean openedHere) throws SyncException {
        if (!deadline.onExpiry(this::expire)) {
            abort(SyncError.TIMEOUT); // closes the deadline, which waits for the interrupt below to be delivered
            if (openedHere) {
                Thread.interrupted(); // the opener watchdog's interrupt, which landed after createStream returned
            }
            throw timeout("the stream to " + peer, null);
        }
    }

    /** Runs on the timer thread when a kick finds our send side reset: once the session is over, the stream is done. */
    private void outputGone() {
        if (closed.get()) {
            deadline.close();
        }
    }

    /** Runs on the timer thread when the deadline passes: unblock whatever is waiting. */
    private void expire() {
        LOG.log(Level.DEBUG, "session deadline passed on stream {0} to {1}: aborting it", stream.getStreamId(), peer);
        kicker.stop();
        stream.abortReading(SyncError.TIMEOUT.code());
        stream.resetStream(SyncError.TIMEOUT.code());
        deadline.afterGrace(ABORT_GRACE, () -> {
            if (blockedCalls.get() > 0) {
                LOG.log(Level.WARNING, "a call on stream {0} to {1} stayed blocked after the stream was aborted; closing the connection",
                        stream.getStreamId(), peer);
                connection.close(SyncError.TIMEOUT.code(), "session deadline passed");
            }
        });
    }

    private interface StreamCall<T> {
        T run() throws IOException, SyncException;
    }

    private <T> T blocking(String what, StreamCall<T> call) throws SyncException {
        blockedCalls.incrementAndGet();
        try {
            return call.run();
        } catch (IOException e) {
            // kwik wakes a blocked reader or writer by interrupting its thread when the stream ends, is reset or
            // aborted, at times once more just as the call wakes anyway: that interrupt is never for the caller.
            Thread.interrupted();
            if (timedOut()) {
                throw timeout(what + " " + peer, e);
            }
            abort(SyncError.TRANSPORT);
            throw new SyncException(SyncError.TRANSPORT, what + " " + peer + " failed: " + e.getMessage(), e);
        } finally {
            blockedCalls.decrementAndGet();
        }
    }

    private void checkUsable(String what) throws SyncException {
        if (timedOut()) {
            throw timeout(what + " " + peer, null);
        }
        if (closed.get()) {
            // After a failure the session may still try to tell the peer why; that attempt fails like the first.
            throw new SyncException(SyncError.TRANSPORT, what + " " + peer + " after the stream was closed");
        }
    }

    private boolean timedOut() {
        return deadline.expired() || firstResponseMissed;
    }

    private void closeFirstResponse() {
        SessionDeadline first = firstResponse;
        if (first != null) {
            first.close();
        }
    }

    private SyncException timeout(String what, Throwable cause) {
        String why = firstResponseMissed
                ? "no first answer within the first-response timeout on a reused connection (the path may have changed)"
                : "the session " + deadline.reason();
        return timeoutError(what, why, cause);
    }

    private static SyncException timeoutError(String what, String why, Throwable cause) {
        return new SyncException(SyncError.TIMEOUT, what + " timed out: " + why, cause);
    }

    /**
     * kwik's output as the frame writer needs it. Nothing happens after a frame's last byte:
     * once the peer has that byte it may stop reading, and kwik then fails any further call, so
     * flush (kwik sends at once anyway) is skipped, as is an empty write. Bytes go to kwik in chunks of at most {@value TransportConfig#PROGRESS_BYTES}
     * (below kwik's fixed 50 KiB send buffer, so kwik takes each whole): each chunk kwik took
     * is progress for the deadline, and tells the kicker that we are writing (it then kicks a
     * stuck stream less and less often).
     */
    private final class Unflushed extends FilterOutputStream {
        private final StreamKicker kicker;

        Unflushed(OutputStream out, StreamKicker kicker) {
            super(out);
            this.kicker = kicker;
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            if (length == 0) {
                return;
            }
            kicker.writing(true);
            kicker.start(); // before the first write, not after it: kwik can strand that one too
            try {
                for (int done = 0; done < length; ) {
                    int chunk = Math.min(length - done, TransportConfig.PROGRESS_BYTES);
                    out.write(data, offset + done, chunk);
                    done += chunk;
                    kicker.wrote();
                    if (done < length) {
                        deadline.progress(); // the whole message's progress is counted by send()
                    }
                }
            } finally {
                kicker.writing(false);
            }
        }

        @Override
        public void flush() {}
    }

    /** kwik's input, reporting progress every {@value TransportConfig#PROGRESS_BYTES} bytes read. */
    private final class Progressing extends FilterInputStream {
        private int sinceProgress;

        Progressing(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            sinceProgress += n;
            if (sinceProgress >= TransportConfig.PROGRESS_BYTES) {
                sinceProgress = 0;
                deadline.progress();
            }
        }
    }
}
