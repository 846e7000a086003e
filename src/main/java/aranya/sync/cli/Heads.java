package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.util.List;

/** How the command line shows a team's head, as text and as JSON: the one place that reads it. */
final class Heads {
    private Heads() {}

    /** The head as {@code <id prefix>@<max cut>}, or what stands in for an empty graph. */
    static String text(SyncNode node, GraphId team, String ifEmpty) throws SyncException {
        return node.head(team).map(Object::toString).orElse(ifEmpty);
    }

    /** The heads as JSON objects {@code {"id": hex, "max_cut": n}}; an empty list for an empty graph. */
    static List<Object> json(SyncNode node, GraphId team) throws SyncException {
        return node.head(team).<List<Object>>map(a -> List.of(Json.object("id", a.id().toHex(), "max_cut", a.maxCut())))
                .orElse(List.of());
    }
}
