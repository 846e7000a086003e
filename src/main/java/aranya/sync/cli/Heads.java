package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.util.List;

/**
 * How the command line shows a team's heads, as text and as JSON: the one place that reads
 * them. A graph holds a set of heads: several after receiving concurrent commands, one again
 * once this node appends (docs/lazy-merges.md).
 */
final class Heads {
    private Heads() {}

    /** The heads as {@code [<id prefix>@<max cut>, ...]}, or what stands in for an empty graph. */
    static String text(SyncNode node, GraphId team, String ifEmpty) throws SyncException {
        List<?> heads = node.heads(team);
        return heads.isEmpty() ? ifEmpty : heads.toString();
    }

    /** The heads as JSON objects {@code {"id": hex, "max_cut": n}}; an empty list for an empty graph. */
    static List<Object> json(SyncNode node, GraphId team) throws SyncException {
        return node.heads(team).stream().<Object>map(a -> Json.object("id", a.id().toHex(), "max_cut", a.maxCut())).toList();
    }
}
