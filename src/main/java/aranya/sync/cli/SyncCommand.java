package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.util.Optional;
import java.util.Set;

/** {@code sync}: one sync with a peer, then exit. */
final class SyncCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "sync a team with a peer once and print what moved";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync sync ADDRESS [--bidirectional] [--json] [--progress] [--idle-timeout SECONDS]
                                        [--max-session-time SECONDS] [--team TEAM] [--data DIR]
                  Pulls everything the peer at ADDRESS has of TEAM that this node lacks. With
                  --bidirectional the peer then asks for what it lacks, on the same QUIC stream, so
                  both converge even though this node runs no server. The sync fails with TIMEOUT
                  after --idle-timeout without progress (default 30) or at --max-session-time
                  (default none); a long sync that keeps moving is never cut short. If a node runs on
                  DIR, the sync runs there, under that node's own bounds. Progress (commands/s) goes
                  to standard error on a terminal, or with --progress. --json prints one JSON object
                  (docs/cli-json.md).""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "idle-timeout", "max-session-time");
    }

    @Override
    public boolean reportsProgress() {
        return true;
    }

    @Override
    public int run(Invocation call) throws Exception {
        call.args().allowFlags("bidirectional", "json", "progress");
        call.args().allowPositionals(1);
        PeerAddress peer = NodeOptions.peerAddress(call.args().positional(0, "ADDRESS"));
        boolean bidirectional = call.args().flag("bidirectional");
        SyncNode node = call.node();
        GraphId team = call.team();
        long start = System.nanoTime();
        SyncSummary s;
        try (Progress progress = Progress.start(call, node, team)) {
            s = node.syncNow(peer, team, bidirectional
                    ? Optional.of(SyncPeerConfig.builder().bidirectional(true).build()) : Optional.empty());
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (call.json()) {
            call.out().println(Json.write(Json.object(
                    "peer", peer.toString(), "team", team.toHex(), "bidirectional", bidirectional,
                    "received", (long) s.received(), "added", (long) s.added(), "sent", (long) s.sent(),
                    "bytes", s.bytes(), "remaining", s.remaining(), "duration_ms", ms,
                    "commands", (long) node.size(team), "heads", Heads.json(node, team))));
        } else {
            call.out().printf("synced with %s (%s): received %d commands (%d new), sent %d, %d bytes, %d ms%n",
                    peer, bidirectional ? "bidirectional" : "unidirectional", s.received(), s.added(), s.sent(), s.bytes(), ms);
            call.out().println("heads " + Heads.text(node, team, "[]"));
        }
        return 0;
    }
}
