package aranya.sync.node;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Test helper: nodes on loopback in a temporary directory, closed together. */
final class Nodes implements AutoCloseable {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    static final Optional<SyncPeerConfig> BIDI = Optional.of(SyncPeerConfig.builder().bidirectional(true).build());

    private final Path dir;
    private final List<SyncNode> open = new ArrayList<>();
    private int count;

    Nodes(Path dir) {
        this.dir = dir;
    }

    /** A node with a sync server on a free loopback port. */
    SyncNode server() throws Exception {
        return add(builder().listenAddress(LOOPBACK).open());
    }

    /** A node with a sync server on a free loopback port whose sessions, served or not, fail after idleTimeout without progress. */
    SyncNode server(Duration idleTimeout) throws Exception {
        return add(builder().listenAddress(LOOPBACK).idleTimeout(idleTimeout).open());
    }

    /** A node without a server: it can dial but cannot be dialed. */
    SyncNode client() throws Exception {
        return add(builder().open());
    }

    /** A builder for a node in a fresh directory, with the tests' session timeout and short backoff; not yet tracked for closing. */
    SyncNode.Builder builder() {
        return SyncNode.builder(dir.resolve("n" + count++)).idleTimeout(Duration.ofSeconds(30))
                .backoff(new aranya.sync.peers.SyncScheduler.Backoff(Duration.ofMillis(20), Duration.ofMillis(200)));
    }

    SyncNode add(SyncNode node) {
        open.add(node);
        return node;
    }

    /** Founds a team on founder with every other node as a member; they all join. */
    static GraphId team(SyncNode founder, SyncNode... others) throws Exception {
        List<byte[]> keys = new ArrayList<>();
        for (SyncNode n : others) {
            keys.add(n.devicePublicKey());
        }
        TeamCredentials team = founder.createTeam(keys);
        for (SyncNode n : others) {
            n.joinTeam(team);
        }
        return team.team();
    }

    static void write(SyncNode node, GraphId team, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            node.append(team, "msg", ("m" + i + "-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
        }
    }

    static PeerAddress at(SyncNode server) {
        return PeerAddress.of(server.listenAddress().orElseThrow());
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }
}
