package aranya.sync.quic;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The listener's UDP socket, built so kwik 0.10.8's server can never exit the JVM. Its
 * receiver thread calls {@code System.exit(9)} when {@code receive} throws anything while it
 * is not shutting down. So {@link #receive} throws only once the listener is
 * closing, after kwik's receiver has been told to stop (kwik then treats the exception as the
 * normal end of its loop):
 * <ul>
 *   <li>a failure on an open socket is logged and the receive retried after a short pause;
 *   <li>if the socket was closed under a running listener, the receiver waits until the
 *       listener closes; the listener no longer receives, which {@link #awaitBroken} reports.
 * </ul>
 * kwik's receiver also exits the JVM on any {@link Error} thrown in its loop, such as an
 * {@link OutOfMemoryError}, so an Error in a receive is logged and the receive retried too.
 *
 * <p>Every datagram passes the {@link HandshakeGate} before {@link #receive} returns it, so kwik
 * never parses one the gate drops; every datagram sent is shown to the gate, which learns the
 * connection ids the server chooses from it.
 */
final class GuardedDatagramSocket extends DatagramSocket {
    private static final System.Logger LOG = System.getLogger(GuardedDatagramSocket.class.getName());
    /** Pause before retrying a failed receive on an open socket, so a persistent error does not spin. */
    private static final long RETRY_PAUSE_MILLIS = 10;

    /** Counted down when the listener closes this socket: kwik's receiver is stopping, it may now fail. */
    private final CountDownLatch released = new CountDownLatch(1);
    /** Counted down when the socket is found closed under a running listener. */
    private final CountDownLatch broken = new CountDownLatch(1);
    private final HandshakeGate gate;
    private volatile boolean listenerClosing;

    GuardedDatagramSocket(SocketAddress bindAddress, HandshakeGate gate) throws SocketException {
        super(bindAddress);
        this.gate = gate;
    }

    @Override
    public void receive(DatagramPacket packet) throws IOException {
        while (true) {
            try {
                super.receive(packet);
                if (admits(packet)) {
                    return;
                }
            } catch (IOException | RuntimeException | Error e) {
                if (released.getCount() == 0) {
                    throw new SocketException("the sync listener is closed");
                }
                if (isClosed()) {
                    if (broken.getCount() > 0) {
                        LOG.log(Level.ERROR, "the sync listener's socket was closed while the listener runs; it receives nothing more", e);
                        broken.countDown();
                    }
                    awaitRelease(Long.MAX_VALUE);
                } else {
                    LOG.log(e instanceof Error ? Level.ERROR : Level.WARNING, "receiving on the sync listener's socket failed; retrying", e);
                    awaitRelease(RETRY_PAUSE_MILLIS);
                }
            }
        }
    }

    @Override
    public void send(DatagramPacket packet) throws IOException {
        try {
            gate.sent(packet.getData(), packet.getOffset(), packet.getLength(), (InetSocketAddress) packet.getSocketAddress());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the handshake gate failed on an outgoing datagram; sending it anyway", e);
        }
        super.send(packet);
    }

    /** Whether the gate lets kwik see packet; a gate that fails drops the packet, and kwik's receiver lives on. */
    private boolean admits(DatagramPacket packet) {
        try {
            return gate.admit(packet.getData(), packet.getOffset(), packet.getLength(), (InetSocketAddress) packet.getSocketAddress());
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "the handshake gate failed on a datagram from " + packet.getSocketAddress() + "; dropped it", e);
            return false;
        }
    }

    /** The listener is closing: from now on, closing the socket lets kwik's receiver end. */
    void beginShutdown() {
        listenerClosing = true;
    }

    /**
     * kwik's connector calls this after it has told its receiver to stop; only then may a
     * blocked receive fail. A close by anyone else while the listener runs leaves the receiver
     * waiting instead.
     */
    @Override
    public void close() {
        if (listenerClosing) {
            released.countDown(); // first, so the receive that close() ends sees it
        }
        super.close();
    }

    /** Whether, within timeout, the socket was found closed under the running listener. */
    boolean awaitBroken(Duration timeout) throws InterruptedException {
        return broken.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Waits up to millis for the listener to close; kwik's interrupts are not a reason to fail. */
    private void awaitRelease(long millis) {
        try {
            released.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // kwik interrupts its receiver on shutdown, after which close() releases us; keep waiting for that.
        }
    }
}
