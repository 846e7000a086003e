package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
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

    /** Fails, creating nothing, unless dir holds a node: a mistyped --data must not start a new one. */
    static void requireNode(Path dir) throws IOException {
        if (!SyncNode.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null,
                    "holds no aranya-sync node (create one with 'aranya-sync init --data " + dir + "')");
        }
    }

    /**
     * A builder for the node of dir, with the file-mode check ARANYA_SYNC_STRICT_MODES asks for
     * and the session bounds of --idle-timeout and --max-session-time, for commands that take them.
     */
    static SyncNode.Builder builder(Path dir, Args args) {
        SyncNode.Builder builder = SyncNode.builder(dir).strictFileModes(strictFileModes());
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

    /** A peer's HOST:PORT, or a usage error saying what is wrong with it. */
    static PeerAddress peerAddress(String text) {
        try {
            return PeerAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }

    /** A listen address HOST:PORT, or a usage error saying what is wrong with it. */
    static InetSocketAddress socketAddress(String text) {
        try {
            return PeerAddress.parseListenAddress(text);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }
}
