package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.protocol.MessageStream;
import aranya.sync.wire.FrameReader;
import aranya.sync.wire.FrameWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
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
 * {@link SessionDeadline}, every write kept moving by a {@link StreamKicker}.
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
 * closed, which is what returns the stream's credit to the peer (kwik-notes §1.3). A peer that
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
    private final AtomicInteger blockedCalls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile SessionDeadline deadline;
    private byte[] unread;
    private boolean finished;
    private boolean peerFinished;

    private QuicMessageStream(QuicStream stream, QuicConnection connection, String peer, SessionDeadline deadline,
            TransportConfig config, TransportTimer timer) {
        this.stream = stream;
        this.connection = connection;
        this.peer = peer;
        this.deadline = deadline;
        this.reader = new FrameReader(stream.getInputStream(), config.maxMessageSize());
        this.kicker = new StreamKicker(stream.getOutputStream(), timer, config.kickInterval(), this::outputGone);
        this.writer = new FrameWriter(new Unflushed(stream.getOutputStream(), kicker), config.maxMessageSize());
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
            throw timeout("opening a stream to " + peer, null);
        }
        QuicStream stream;
        try {
            stream = connection.createStream(true);
        } catch (IOException | RuntimeException e) {
            // kwik turns an interrupted wait for credit into a bare RuntimeException.
            deadline.close();
            if (deadline.expired()) {
                Thread.interrupted(); // our own watchdog's interrupt, not the caller's
                throw timeout("opening a stream to " + peer, e);
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
        kicker.stop();
        deadline.close();
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

    /** Time left before the session deadline. */
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
            if (deadline.expired()) {
                throw timeout(what + " " + peer, e);
            }
            abort(SyncError.TRANSPORT);
            throw new SyncException(SyncError.TRANSPORT, what + " " + peer + " failed: " + e.getMessage(), e);
        } finally {
            blockedCalls.decrementAndGet();
        }
    }

    private void checkUsable(String what) throws SyncException {
        if (deadline.expired()) {
            throw timeout(what + " " + peer, null);
        }
        if (closed.get()) {
            // After a failure the session may still try to tell the peer why; that attempt fails like the first.
            throw new SyncException(SyncError.TRANSPORT, what + " " + peer + " after the stream was closed");
        }
    }

    /**
     * kwik's output as the frame writer needs it. Nothing happens after a frame's last byte:
     * once the peer has that byte it may stop reading, and kwik then fails any further call, so
     * flush (kwik sends at once anyway) is skipped, as is an empty write. Bytes go to kwik in
     * pieces of at most {@link #PIECE}, each of which tells the kicker that we are writing (it
     * kicks a stuck stream less and less often).
     */
    private static final class Unflushed extends FilterOutputStream {
        /** Half of kwik's fixed 50 KiB send buffer, the size kwik itself splits larger writes into. */
        private static final int PIECE = 25 * 1024;

        private final StreamKicker kicker;

        Unflushed(OutputStream out, StreamKicker kicker) {
            super(out);
            this.kicker = kicker;
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            kicker.writing(true);
            try {
                for (int done = 0; done < length; done += PIECE) {
                    out.write(data, offset + done, Math.min(PIECE, length - done));
                    kicker.wrote();
                }
            } finally {
                kicker.writing(false);
            }
        }

        @Override
        public void flush() {}
    }

    private static SyncException timeout(String what, Throwable cause) {
        return new SyncException(SyncError.TIMEOUT, what + " passed the session deadline", cause);
    }
}
