package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code serve}: runs the node's sync server, its peer schedule and its control socket until stopped. */
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
                  with the peers in DIR/peers.conf, prints each batch of new commands and logs each
                  session it served. While it runs, every other aranya-sync command on DIR runs in
                  it, through the owner-only socket DIR/control/socket; a second serve on DIR is
                  refused. Stops on SIGINT/SIGTERM, closing everything cleanly. Sessions, served or
                  not, fail after --idle-timeout without progress (default 30) or at
                  --max-session-time (default none).""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "listen", "idle-timeout", "max-session-time");
    }

    @Override
    public Main.NodeUse nodeUse() {
        return Main.NodeUse.EXCLUSIVE;
    }

    @Override
    public int run(Invocation call) throws Exception {
        call.args().allowFlags();
        call.args().allowPositionals(0);
        var listen = NodeOptions.socketAddress(call.args().option("listen").orElse("127.0.0.1:4433"));
        SyncNode node = NodeOptions.builder(call.dataDirectory(), call.args()).listenAddress(listen).controlSocket(true).open();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                call.err().println("aranya-sync serve: closing: " + Failures.describe(e));
            }
            stopped.countDown();
        }, "aranya-sync-shutdown"));
        var out = call.out();
        for (GraphId team : node.teams()) {
            node.onCommands(team, batch -> {
                synchronized (out) {
                    out.println("team " + team + ": " + batch.size() + " new commands, heads " + heads(node, team));
                    out.flush();
                }
            });
        }
        for (PeerFile.Entry e : new PeerFile(call.dataDirectory()).read()) {
            node.addSyncPeer(e.peer(), e.team(), e.config());
            out.println("syncing with " + e.line());
        }
        out.println("control socket " + node.controlSocket().orElseThrow());
        out.println("listening on " + PeerAddress.of(node.listenAddress().orElseThrow()));
        out.flush();
        stopped.await();
        return 0;
    }

    private static String heads(SyncNode node, GraphId team) {
        try {
            return Heads.text(node, team, "[]");
        } catch (aranya.sync.SyncException e) {
            return "(" + e.getMessage() + ")";
        }
    }
}
