package aranya.sync.quic;

import static aranya.sync.quic.QuicFixtures.config;
import static aranya.sync.quic.QuicFixtures.listen;
import static aranya.sync.quic.QuicFixtures.open;

import aranya.sync.protocol.MessageStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
            default -> throw new IllegalArgumentException("guarded or plain, got " + args[0]);
        }
        System.exit(0);
    }

    /** A listener that served a session, then has its socket closed under it, then is closed. */
    private static void guarded() throws Exception {
        try (SyncListener listener = listen((stream, connection) -> QuicFixtures.echo(stream), config())) {
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            try (SyncConnector connector = new SyncConnector(config()); MessageStream stream = open(connector, listener)) {
                stream.send(ping);
                if (!stream.receive().map(reply -> Arrays.equals(reply, ping)).orElse(false)) {
                    throw new AssertionError("no echo");
                }
                stream.finish();
            }
            System.out.println("SERVED");
            listener.socket().close();
            if (!listener.socket().awaitBroken(Duration.ofSeconds(20))) {
                throw new AssertionError("the listener did not notice its socket was closed");
            }
            System.out.println("BROKEN");
        }
        System.out.println("ALIVE");
    }

    /** kwik's connector on a plain socket, which is then closed: kwik exits the JVM. */
    private static void plain() throws Exception {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0));
        NodeIdentity identity = NodeIdentity.generate();
        ServerConnector connector = ServerConnector.builder()
                .withSocket(socket)
                .withKeyStore(identity.keyStore(), NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword(), NodeIdentity.curveName())
                .withConfiguration(ServerConnectionConfig.builder().retryRequired(false).build())
                .withLogger(new KwikLog(ExitGuardChild.class.getName()))
                .build();
        connector.start();
        System.out.println("STARTED");
        socket.close();
        // kwik's receiver calls System.exit(9) as soon as it sees the closed socket; this wait never ends normally.
        new CountDownLatch(1).await(20, TimeUnit.SECONDS);
        System.out.println("SURVIVED");
    }
}
