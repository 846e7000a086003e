import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.node.TeamCredentials;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.MessageStream;
import aranya.sync.protocol.SyncSummary;
import aranya.sync.quic.NodeIdentity;
import aranya.sync.quic.SyncConnector;
import aranya.sync.quic.SyncListener;
import aranya.sync.quic.TransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The two sides of {@code bin/bench wan}, each a long-lived process in its netpath namespace
 * that runs the commands the script writes to its standard input, one result line each. Run
 * with Java's source launcher on the class path of a build ({@code java -cp JAR:MODS/* WanPeer.java}),
 * so the same file measures any build: it uses SyncNode's public API, and the transport classes
 * for the transport-only reference.
 *
 * <pre>
 * prepare DIR COUNT       DIR/office: a team with COUNT signed 100-byte commands; DIR/phone: a member holding none
 * serve DIR HOST PORT     serve DIR's node on HOST:PORT and a transport-only server on PORT+1; commands:
 *                           append N    the office appends N commands; answers "size=S"
 * client HOST PORT        commands (every one on a new node or connector, so on a fresh QUIC connection):
 *                           pull DIR SIZE T   sync DIR until it holds SIZE commands (at most 10 calls, each bounded by T s)
 *                           bidi DIR N T      append N commands to DIR, then one bidirectional sync
 *                           stream BYTES      fetch BYTES over the transport alone, in 64 KiB messages
 * </pre>
 */
public class WanPeer {
    private static final int MAX_CALLS = 10;
    private static final byte[] STREAM_SECRET = new byte[32];
    private static final GraphId STREAM_TEAM = GraphId.of(new byte[32]);
    private static final int STREAM_MESSAGE = 64 * 1024;
    private static final Duration LONG = Duration.ofMinutes(10);

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prepare" -> prepare(Path.of(args[1]), Integer.parseInt(args[2]));
            case "serve" -> serve(Path.of(args[1]), args[2], Integer.parseInt(args[3]));
            case "client" -> client(args[1], Integer.parseInt(args[2]));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void prepare(Path dir, int count) throws Exception {
        try (SyncNode office = SyncNode.builder(dir.resolve("office")).open();
                SyncNode phone = SyncNode.builder(dir.resolve("phone")).open()) {
            TeamCredentials team = office.createTeam(List.of(phone.devicePublicKey()));
            phone.joinTeam(team);
            appendCommands(office, team.team(), count);
            Files.writeString(dir.resolve("team"), team.team().toHex());
        }
    }

    private static void serve(Path dir, String host, int port) throws Exception {
        try (SyncNode office = SyncNode.builder(dir).listenAddress(new InetSocketAddress(host, port)).idleTimeout(LONG).open();
                SyncListener stream = streamServer(new InetSocketAddress(host, port + 1))) {
            GraphId team = office.teams().iterator().next();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
            System.out.println("ready");
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                String[] command = line.split(" ");
                if (command[0].equals("append")) {
                    appendCommands(office, team, Integer.parseInt(command[1]));
                }
                System.out.println("size=" + office.size(team));
            }
        }
    }

    private static void client(String host, int port) throws Exception {
        PeerAddress server = new PeerAddress(host, port);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in));
        System.out.println("ready");
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            String[] c = line.split(" ");
            try {
                System.out.println(switch (c[0]) {
                    case "pull" -> pull(Path.of(c[1]), server, Integer.parseInt(c[2]), Duration.ofSeconds(Long.parseLong(c[3])));
                    case "bidi" -> bidi(Path.of(c[1]), server, Integer.parseInt(c[2]), Duration.ofSeconds(Long.parseLong(c[3])));
                    case "stream" -> streamPull(host, port + 1, Integer.parseInt(c[1]));
                    default -> "error=unknown-command";
                });
            } catch (Exception e) {
                System.err.println(line + " failed: " + e);
                System.out.println("error=" + e.getClass().getSimpleName());
            }
        }
    }

    private static String pull(Path dir, PeerAddress server, int size, Duration timeout) throws Exception {
        try (SyncNode phone = SyncNode.builder(dir).idleTimeout(timeout).open()) {
            GraphId team = phone.teams().iterator().next();
            long bytes = 0;
            long nanos = 0;
            int calls = 0;
            int failures = 0;
            while (phone.size(team) < size && calls < MAX_CALLS) {
                calls++;
                long start = System.nanoTime();
                try {
                    bytes += phone.syncNow(server, team, Optional.empty()).bytes();
                } catch (SyncException e) {
                    failures++;
                    System.err.println("pull call " + calls + " failed: " + e.getMessage());
                }
                nanos += System.nanoTime() - start;
            }
            return String.format("calls=%d failures=%d bytes=%d seconds=%.3f size=%d", calls, failures, bytes, nanos / 1e9,
                    phone.size(team));
        }
    }

    private static String bidi(Path dir, PeerAddress server, int newCommands, Duration timeout) throws Exception {
        try (SyncNode phone = SyncNode.builder(dir).idleTimeout(timeout).open()) {
            GraphId team = phone.teams().iterator().next();
            appendCommands(phone, team, newCommands);
            SyncPeerConfig bidirectional = SyncPeerConfig.builder().bidirectional(true).build();
            long start = System.nanoTime();
            SyncSummary summary = phone.syncNow(server, team, Optional.of(bidirectional));
            return String.format("received=%d sent=%d seconds=%.3f", summary.received(), summary.sent(),
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private static TransportConfig streamConfig() {
        return TransportConfig.builder().idleTimeout(LONG).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** Answers a 4-byte request for N bytes with N bytes of 64 KiB messages. */
    private static SyncListener streamServer(InetSocketAddress at) throws Exception {
        return SyncListener.start(at, NodeIdentity.generate(), team -> Optional.of(STREAM_SECRET.clone()), (stream, connection) -> {
            try (stream) {
                int remaining = ByteBuffer.wrap(stream.receive().orElseThrow()).getInt();
                while (remaining > 0) {
                    byte[] message = new byte[Math.min(remaining, STREAM_MESSAGE)];
                    stream.send(message);
                    remaining -= message.length;
                }
                stream.finish();
                stream.receive();
            } catch (Exception e) {
                System.err.println("transport-only stream failed: " + e);
            }
        }, streamConfig());
    }

    private static String streamPull(String host, int port, int bytes) throws Exception {
        try (SyncConnector connector = new SyncConnector(streamConfig())) {
            long start = System.nanoTime();
            long received = 0;
            try (MessageStream stream = connector.openStream(host, port, STREAM_TEAM, STREAM_SECRET)) {
                stream.send(ByteBuffer.allocate(4).putInt(bytes).array());
                for (Optional<byte[]> m = stream.receive(); m.isPresent(); m = stream.receive()) {
                    received += m.get().length;
                }
                stream.finish();
            }
            return String.format("bytes=%d seconds=%.3f", received, (System.nanoTime() - start) / 1e9);
        }
    }

    private static void appendCommands(SyncNode node, GraphId team, int count) throws SyncException {
        Random random = new Random();
        byte[] fields = new byte[100];
        for (int i = 0; i < count; i++) {
            random.nextBytes(fields);
            node.append(team, "bench", fields);
        }
    }
}
