package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.config;
import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;

import aranya.sync.protocol.MessageStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

/**
 * A JVM of its own for {@link ExitGuardTest}, because the failure it looks for ends the JVM.
 * Prints what it got through, one word a line; {@code guarded} exits 0, {@code plain} is
 * expected to be ended by kwik's {@code System.exit(9)}.
 */
public final class ExitGuardChild {
    private ExitGuardChild() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "guarded" -> guarded();
            case "plain" -> plain();
            case "gate-error" -> gateError();
            case "receive-error" -> receiveError();
            default -> throw new IllegalArgumentException("guarded, plain, gate-error or receive-error, got " + args[0]);
        }
        System.exit(0);
    }

    /** A listener that served a session, then has its socket closed under it, then is closed. */
    private static void guarded() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config())) {
            echoOnce(listener);
            System.out.println("SERVED");
            listener.socket().close();
            if (!listener.socket().awaitBroken(Duration.ofSeconds(20))) {
                throw new AssertionError("the listener did not notice its socket was closed");
            }
            System.out.println("BROKEN");
        }
        System.out.println("ALIVE");
    }

    /**
     * A listener whose gate throws an {@link OutOfMemoryError} on the first datagram it sees
     * (the honest client's first Initial, which the client then sends again), then serves the session.
     */
    private static void gateError() throws Exception {
        AtomicBoolean thrown = new AtomicBoolean();
        HandshakeGate failingOnce = new HandshakeGate(config().connectionIdleTimeout()) {
            @Override
            boolean admit(byte[] data, int offset, int length, InetSocketAddress source) {
                if (thrown.compareAndSet(false, true)) {
                    throw new OutOfMemoryError("injected into the listener's receive");
                }
                return super.admit(data, offset, length, source);
            }
        };
        try (SyncListener listener = SyncListener.start(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0),
                NodeIdentity.generate(), QuicFixtures.secrets(), (stream, connection) -> QuicFixtures.echo(stream), config(), failingOnce)) {
            echoOnce(listener);
            System.out.println(thrown.get() ? "SERVED AFTER ERROR" : "NO ERROR INJECTED");
        }
    }

    /** kwik's connector on a socket whose receive throws an Error: kwik exits the JVM. */
    private static void receiveError() throws Exception {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0)) {
            @Override
            public void receive(DatagramPacket packet) {
                throw new OutOfMemoryError("injected into kwik's receive");
            }
        };
        startPlainConnector(socket);
        System.out.println("STARTED");
        // kwik's receiver calls System.exit(9) on the Error at once; this wait never ends normally.
        new CountDownLatch(1).await(20, TimeUnit.SECONDS);
        System.out.println("SURVIVED");
    }

    /** kwik's connector on a plain socket, which is then closed: kwik exits the JVM. */
    private static void plain() throws Exception {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0));
        startPlainConnector(socket);
        System.out.println("STARTED");
        socket.close();
        // kwik's receiver calls System.exit(9) as soon as it sees the closed socket; this wait never ends normally.
        new CountDownLatch(1).await(20, TimeUnit.SECONDS);
        System.out.println("SURVIVED");
    }

    /** One echo session with listener; fails unless the echo comes back. */
    private static void echoOnce(SyncListener listener) throws Exception {
        byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
        try (SyncConnector connector = new SyncConnector(config()); MessageStream stream = open(connector, listener)) {
            stream.send(ping);
            if (!stream.receive().map(reply -> Arrays.equals(reply, ping)).orElse(false)) {
                throw new AssertionError("no echo");
            }
            stream.finish();
        }
    }

    private static void startPlainConnector(DatagramSocket socket) throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        ServerConnector connector = ServerConnector.builder()
                .withSocket(socket)
                .withKeyStore(identity.keyStore(), NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword(), NodeIdentity.curveName())
                .withConfiguration(ServerConnectionConfig.builder().retryRequired(false).build())
                .withLogger(new KwikLog(ExitGuardChild.class.getName()))
                .build();
        connector.start();
    }
}
