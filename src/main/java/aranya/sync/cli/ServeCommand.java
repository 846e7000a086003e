package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code serve}: runs the node's sync server and its peer schedule until stopped. */
final class ServeCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "run the sync server and sync with the configured peers until stopped";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync serve [--listen HOST:PORT] [--idle-timeout SECONDS]
                                         [--max-session-time SECONDS] [--data DIR]
                  Listens for QUIC sync connections (default 127.0.0.1:4433; port 0 picks one), syncs
                  with the peers in DIR/peers.conf, and prints each batch of new commands. Stops on
                  SIGINT/SIGTERM, closing everything cleanly. Sessions, served or not, fail after
                  --idle-timeout without progress (default 30) or at --max-session-time (default none).""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "listen", "idle-timeout", "max-session-time");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags();
        SyncNode node = NodeOptions.serve(args, NodeOptions.socketAddress(args.option("listen").orElse("127.0.0.1:4433")));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("aranya-sync serve: closing: " + e.getMessage());
            }
            stopped.countDown();
        }, "aranya-sync-shutdown"));
        for (GraphId team : node.teams()) {
            node.onCommands(team, batch -> {
                synchronized (out) {
                    out.println("team " + team + ": " + batch.size() + " new commands, heads " + heads(node, team));
                }
            });
        }
        for (PeerFile.Entry e : new PeerFile(NodeOptions.dataDirectory(args)).read()) {
            node.addSyncPeer(e.peer(), e.team(), e.config());
            out.println("syncing with " + e.line());
        }
        out.println("listening on " + aranya.sync.peers.PeerAddress.of(node.listenAddress().orElseThrow()));
        out.flush();
        stopped.await();
        return 0;
    }

    private static String heads(SyncNode node, GraphId team) {
        try {
            return node.heads(team).toString();
        } catch (aranya.sync.SyncException e) {
            return "(" + e.getMessage() + ")";
        }
    }
}
