package aranya.sync.protocol;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Two {@link MessageStream}s joined in memory, for tests, benchmarks and peers in one
 * process. Each direction is a queue of messages; finishing queues an end marker; closing
 * one end wakes its own blocked receive and makes the other end's receives and sends fail as
 * a reset stream would. Every receive waits at most the given deadline.
 */
public final class InMemoryMessageStream implements MessageStream {
    private static final byte[] END = new byte[0];
    private static final byte[] RESET = new byte[0];
    /** Put in our own inbox by close(), to wake a receive blocked on it. */
    private static final byte[] CLOSED = new byte[0];

    private final String peer;
    private final BlockingQueue<byte[]> inbox;
    private final BlockingQueue<byte[]> outbox;
    private final int maxMessageBytes;
    private final Duration deadline;
    private volatile boolean finished;
    private volatile boolean closed;
    private volatile boolean peerClosed;
    private boolean peerFinished;
    private InMemoryMessageStream other;

    private InMemoryMessageStream(String peer, BlockingQueue<byte[]> inbox, BlockingQueue<byte[]> outbox,
            int maxMessageBytes, Duration deadline) {
        this.peer = peer;
        this.inbox = inbox;
        this.outbox = outbox;
        this.maxMessageBytes = maxMessageBytes;
        this.deadline = deadline;
    }

    /**
     * A connected pair: what one end sends, the other receives. Index 0 is the client end.
     *
     * @param maxMessageBytes the largest message either end accepts
     * @param deadline how long a receive waits before it fails with TIMEOUT
     * @return the two ends, client first
     */
    public static InMemoryMessageStream[] pair(int maxMessageBytes, Duration deadline) {
        return pair("client", "server", maxMessageBytes, deadline);
    }

    /**
     * A connected pair between two named peers; each end's {@link #peer()} is the other's
     * name, which is what keys the peer cache. Index 0 is the client end.
     *
     * @param client the client end's name
     * @param server the server end's name
     * @param maxMessageBytes the largest message either end accepts
     * @param deadline how long a receive waits before it fails with TIMEOUT
     * @return the two ends, client first
     */
    public static InMemoryMessageStream[] pair(String client, String server, int maxMessageBytes, Duration deadline) {
        BlockingQueue<byte[]> toServer = new LinkedBlockingQueue<>();
        BlockingQueue<byte[]> toClient = new LinkedBlockingQueue<>();
        InMemoryMessageStream clientEnd = new InMemoryMessageStream(server, toClient, toServer, maxMessageBytes, deadline);
        InMemoryMessageStream serverEnd = new InMemoryMessageStream(client, toServer, toClient, maxMessageBytes, deadline);
        clientEnd.other = serverEnd;
        serverEnd.other = clientEnd;
        return new InMemoryMessageStream[] {clientEnd, serverEnd};
    }

    @Override
    public void send(byte[] message) throws IOException, SyncException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (finished) {
            throw new IOException("send after finish");
        }
        if (peerClosed) {
            throw new IOException("stream reset by " + peer);
        }
        if (message.length > maxMessageBytes) {
            throw new SyncException(SyncError.MESSAGE_TOO_LARGE, "message of " + message.length + " bytes exceeds " + maxMessageBytes);
        }
        outbox.add(message.clone());
    }

    @Override
    public Optional<byte[]> receive() throws IOException, SyncException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (peerFinished) {
            return Optional.empty();
        }
        byte[] message;
        try {
            message = inbox.poll(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while receiving", e);
        }
        if (message == null) {
            throw new SyncException(SyncError.TIMEOUT, "no message from " + peer + " within " + deadline);
        }
        if (message == RESET) {
            throw new IOException("stream reset by " + peer);
        }
        if (message == CLOSED) {
            throw new IOException("stream closed");
        }
        if (message == END) {
            peerFinished = true;
            return Optional.empty();
        }
        if (message.length > maxMessageBytes) {
            throw new SyncException(SyncError.MESSAGE_TOO_LARGE, "message of " + message.length + " bytes exceeds " + maxMessageBytes);
        }
        return Optional.of(message);
    }

    @Override
    public void finish() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (!finished) {
            finished = true;
            outbox.add(END);
        }
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            inbox.add(CLOSED);
            other.peerClosed = true;
            if (!finished) {
                outbox.add(RESET);
            }
        }
    }
}
