package aranya.sync.quic;

import aranya.sync.graph.GraphId;
import aranya.sync.wire.FrameWriter;
import aranya.sync.wire.Limits;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/**
 * A member's flood, for the node-budget tests: one QUIC connection from a loopback address of
 * the test's choosing (so the node can tell it from an honest peer on 127.0.0.1), team
 * authentication with the real secret, then many streams that each send a first message and
 * never read what the server answers, with tiny receive windows so the server's writes block
 * at once. With junk bytes, each stream then uploads that many random bytes on top, as fast
 * as the server's flow control lets it. Bounded: every stream is one virtual thread, every wait
 * ends by the caller's deadline, and {@link #close()} ends the connection and everything on it.
 */
public final class FloodClient implements AutoCloseable {
    /** The smallest windows kwik's client accepts: the server can push almost nothing to us. */
    private static final long TINY_WINDOW = 1500;

    private final TransportConfig config = QuicFixtures.config();
    private final TransportTimer timer = new TransportTimer("flood-client-timer");
    private final QuicClientConnection quic;
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicLong uploaded = new AtomicLong();

    /**
     * Connects from localAddress (any port) to the node at 127.0.0.1:port and authenticates
     * for team.
     */
    public FloodClient(InetAddress localAddress, int port, GraphId team, byte[] secret) throws Exception {
        KwikDefaults.apply();
        quic = QuicClientConnection.newBuilder()
                .host(QuicFixtures.HOST)
                .port(port)
                .applicationProtocol(SyncListener.ALPN)
                .connectTimeout(Duration.ofSeconds(10))
                .maxIdleTimeout(Duration.ofSeconds(60))
                .defaultStreamReceiveBufferSize(TINY_WINDOW)
                .maxOpenPeerInitiatedBidirectionalStreams(0)
                .maxOpenPeerInitiatedUnidirectionalStreams(0)
                .noServerCertificateCheck()
                .socketFactory(destination -> new DatagramSocket(new InetSocketAddress(localAddress, 0)))
                .logger(new KwikLog(FloodClient.class.getName() + ".kwik"))
                .build();
        quic.connect();
        try (QuicMessageStream stream = QuicMessageStream.open(quic, "flood",
                SessionDeadline.start(timer, config.idleTimeout(), config.maxSessionTime()), config, timer)) {
            TeamAuth.authenticate(stream, team, secret,
                    NodeIdentity.sha256(quic.getServerCertificateChain().get(0).getEncoded()));
        }
    }

    /**
     * Opens streams streams, each sending first (framed) and then junkBytes random bytes
     * (raw), and never reading. Returns once every stream has sent its first message and
     * started its junk, or at the deadline; the junk goes on in the background until the
     * server's flow control stops it or the connection closes.
     *
     * @return how many streams sent their first message by the deadline
     */
    public int flood(int streams, byte[] first, long junkBytes, Duration deadline) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(streams);
        for (int i = 0; i < streams; i++) {
            Thread.ofVirtual().name("flood-stream-" + i).start(() -> {
                try {
                    QuicStream stream = quic.createStream(true);
                    OutputStream out = stream.getOutputStream();
                    new StreamKicker(out, timer, config.kickInterval(), () -> {}).start();
                    new FrameWriter(out, Limits.MAX_SYNC_MESSAGE_SIZE).writeFrame(first);
                    opened.incrementAndGet();
                    started.countDown();
                    Random random = new Random();
                    byte[] chunk = new byte[16 * 1024];
                    for (long sent = 0; sent < junkBytes; sent += chunk.length) {
                        random.nextBytes(chunk);
                        out.write(chunk);
                        uploaded.addAndGet(chunk.length);
                    }
                } catch (Exception e) {
                    started.countDown(); // the connection closed under us, or the server refused the stream
                }
            });
        }
        started.await(deadline.toMillis(), TimeUnit.MILLISECONDS);
        return opened.get();
    }

    /** Junk bytes the server's flow control has let us hand to kwik so far. */
    public long uploaded() {
        return uploaded.get();
    }

    @Override
    public void close() {
        quic.close();
        timer.close();
    }
}
