package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.util.HexFormat;

/** {@code status}: what the node holds. */
final class StatusCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "show the node's key, teams, graph sizes and heads, and configured peers";
    }

    @Override
    public String usage() {
        return "usage: aranya-sync status [--data DIR]";
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags();
        try (SyncNode node = NodeOptions.open(args)) {
            out.println("data " + NodeOptions.dataDirectory(args).toAbsolutePath());
            out.println("device public key " + HexFormat.of().formatHex(node.devicePublicKey()));
            for (GraphId team : node.teams()) {
                out.println("team " + team.toHex() + ": " + node.size(team) + " commands, heads "
                        + (node.heads(team).isEmpty() ? "(empty: sync with a member)" : node.heads(team)));
            }
            for (PeerFile.Entry e : new PeerFile(NodeOptions.dataDirectory(args)).read()) {
                out.println("peer " + e.line());
            }
        }
        return 0;
    }
}
