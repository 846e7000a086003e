package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** {@code sync}: one sync with a peer, as a client-only node, then exit. */
final class SyncCommand implements Main.CliCommand {
    /** A progress line every this many commands received. */
    private static final long PROGRESS_EVERY = 5_000;

    @Override
    public String summary() {
        return "sync a team with a peer once (client only) and print what moved";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync sync ADDRESS [--bidirectional] [--idle-timeout SECONDS]
                                        [--max-session-time SECONDS] [--team TEAM] [--data DIR]
                  Pulls everything the peer at ADDRESS has of TEAM that this node lacks. With
                  --bidirectional the peer then asks for what it lacks, on the same QUIC stream, so
                  both converge even though this node runs no server. The sync fails with TIMEOUT
                  after --idle-timeout without progress (default 30) or at --max-session-time
                  (default none); a long sync that keeps moving is never cut short.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "idle-timeout", "max-session-time");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags("bidirectional");
        PeerAddress peer = PeerAddress.parse(args.positional(0, "ADDRESS"));
        boolean bidirectional = args.flag("bidirectional");
        try (SyncNode node = NodeOptions.open(args)) {
            GraphId team = NodeOptions.team(args, node);
            AtomicLong received = new AtomicLong();
            try (AutoCloseable progress = node.onCommands(team, batch -> {
                long before = received.getAndAdd(batch.size());
                if ((before + batch.size()) / PROGRESS_EVERY > before / PROGRESS_EVERY) {
                    out.println("  ... " + (before + batch.size()) + " new commands so far");
                }
            })) {
                long start = System.nanoTime();
                SyncSummary s = node.syncNow(peer, team, bidirectional
                        ? Optional.of(SyncPeerConfig.builder().bidirectional(true).build()) : Optional.empty());
                out.printf("synced with %s (%s): received %d commands (%d new), sent %d, %d bytes, %d ms%n",
                        peer, bidirectional ? "bidirectional" : "unidirectional", s.received(), s.added(), s.sent(), s.bytes(),
                        (System.nanoTime() - start) / 1_000_000);
                out.println("heads " + node.heads(team));
            }
        }
        return 0;
    }
}
