package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** The options every node-backed command shares: where the data lives and which team. */
final class NodeOptions {
    /** Used when neither --data nor ARANYA_SYNC_DATA says otherwise. */
    static final String DEFAULT_DATA = "aranya-sync-data";

    private NodeOptions() {}

    static Path dataDirectory(Args args) {
        return Path.of(args.option("data").orElse(Optional.ofNullable(System.getenv("ARANYA_SYNC_DATA")).orElse(DEFAULT_DATA)));
    }

    /** Opens the node of --data as a client (no server). */
    static SyncNode open(Args args) throws IOException, SyncException {
        return builder(args).open();
    }

    /** Opens the node of --data with a server on listen. */
    static SyncNode serve(Args args, InetSocketAddress listen) throws IOException, SyncException {
        return builder(args).listenAddress(listen).open();
    }

    /** The node of --data with the session bounds of --idle-timeout and --max-session-time, for commands that take them. */
    private static SyncNode.Builder builder(Args args) {
        SyncNode.Builder builder = SyncNode.builder(dataDirectory(args)).strictFileModes(strictFileModes());
        args.option("idle-timeout").map(PeerCommand::duration).ifPresent(builder::idleTimeout);
        args.option("max-session-time").map(PeerCommand::duration).ifPresent(builder::maxSessionTime);
        return builder;
    }

    /** Off only when ARANYA_SYNC_STRICT_MODES is "no": then key and secret files others can read are used, with a warning. */
    private static boolean strictFileModes() {
        return !"no".equals(System.getenv("ARANYA_SYNC_STRICT_MODES"));
    }

    /** The team named by --team, if any. */
    static Optional<GraphId> namedTeam(Args args) {
        return args.option("team").map(hex -> {
            try {
                return GraphId.fromHex(hex);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("--team takes a 64-digit hex team id");
            }
        });
    }

    /** The team named by --team, or the node's only team. */
    static GraphId team(Args args, SyncNode node) {
        Optional<GraphId> named = namedTeam(args);
        if (named.isPresent()) {
            return named.get();
        }
        Set<GraphId> teams = node.teams();
        if (teams.size() != 1) {
            throw new Args.UsageException(teams.isEmpty() ? "this node is in no team yet (team create or team join)"
                    : "this node is in " + teams.size() + " teams; say which with --team");
        }
        return teams.iterator().next();
    }

    static InetSocketAddress socketAddress(String text) {
        return aranya.sync.peers.PeerAddress.parseListenAddress(text);
    }
}
