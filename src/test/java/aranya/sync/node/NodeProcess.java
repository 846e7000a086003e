package aranya.sync.node;

import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Run as a separate JVM by {@link NodeCrashTest}: a {@link SyncNode} on a data directory, to
 * be killed with SIGKILL. Reports on stdout, one line each, and runs until its stdin ends.
 * <ul>
 *   <li>{@code serve DIR}: serves the node's teams; prints {@code LISTENING <port> <team size>};
 *   <li>{@code pull DIR PORT TEAM}: syncs TEAM from 127.0.0.1:PORT once; prints
 *       {@code ACK <size> <last id>} after each batch it has stored, then {@code SYNCED <size>}.
 * </ul>
 */
public final class NodeProcess {
    private NodeProcess() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "serve" -> {
                try (SyncNode node = SyncNode.builder(dir).listenAddress(Nodes.LOOPBACK).open()) {
                    GraphId team = node.teams().iterator().next();
                    report("LISTENING " + node.listenAddress().orElseThrow().getPort() + " " + node.size(team));
                    awaitEndOfInput();
                }
            }
            case "pull" -> {
                GraphId team = GraphId.fromHex(args[3]);
                try (SyncNode node = SyncNode.builder(dir).idleTimeout(Duration.ofSeconds(60)).open();
                        AutoCloseable acks = node.onCommands(team, batch -> report(ack(node, team, batch)))) {
                    node.syncNow(PeerAddress.parse("127.0.0.1:" + args[2]), team, Optional.empty());
                    report("SYNCED " + node.size(team));
                    awaitEndOfInput();
                }
            }
            default -> throw new IllegalArgumentException("serve or pull, got " + args[0]);
        }
    }

    private static String ack(SyncNode node, GraphId team, List<Command> batch) {
        try {
            return "ACK " + node.size(team) + " " + batch.get(batch.size() - 1).id().toHex();
        } catch (SyncException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void awaitEndOfInput() throws IOException {
        System.in.transferTo(OutputStream.nullOutputStream());
    }
}
