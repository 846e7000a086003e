package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.node.PeerStatus;
import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** {@code status}: what the node holds and, if it runs, what it is doing. */
final class StatusCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "show the node's key, teams, sizes and heads, peers, and whether it runs";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync status [--json] [--data DIR]
                  The node's key, its teams with sizes and heads, and the peers in DIR/peers.conf.
                  If a node runs on DIR ('serve'), also where it listens, each peer's last sync and
                  its result, open sync sessions and hello subscriptions. --json prints one JSON
                  object (docs/cli-json.md).""";
    }

    @Override
    public int run(Invocation call) throws Exception {
        call.args().allowFlags("json");
        call.args().allowPositionals(0);
        SyncNode node = call.node();
        List<Object> teams = new ArrayList<>();
        for (GraphId team : node.teams()) {
            teams.add(Json.object("id", team.toHex(), "commands", (long) node.size(team), "heads", Heads.json(node, team)));
        }
        List<Object> configured = new ArrayList<>();
        for (PeerFile.Entry e : new PeerFile(call.dataDirectory()).read()) {
            configured.add(e.json());
        }
        Map<String, Object> status = Json.object(
                "data", call.dataDirectory().toAbsolutePath().toString(),
                "device_public_key", HexFormat.of().formatHex(node.devicePublicKey()),
                "running", call.onRunningNode(),
                "teams", teams,
                "configured_peers", configured);
        if (call.onRunningNode()) {
            status.put("listen", node.listenAddress().map(a -> PeerAddress.of(a).toString()).orElse(null));
            status.put("control_socket", node.controlSocket().map(Object::toString).orElse(null));
            status.put("open_sessions", (long) node.openSessions());
            status.put("hello_subscribers", (long) node.helloSubscribers());
            status.put("hello_subscriptions", (long) node.helloSubscriptions());
            List<Object> peers = new ArrayList<>();
            for (PeerStatus p : node.peerStatus()) {
                peers.add(peer(p));
            }
            status.put("peers", peers);
        }
        if (call.json()) {
            call.out().println(Json.write(status));
        } else {
            print(call.out(), node, status);
        }
        return 0;
    }

    private static Map<String, Object> peer(PeerStatus p) {
        return Json.object(
                "address", p.peer().toString(),
                "team", p.team().toHex(),
                "scheduled", p.config().isPresent(),
                "last_sync", p.lastSync().map(Object::toString).orElse(null),
                "last_result", p.lastSync().isEmpty() ? null : p.lastFailure().isPresent() ? "failed" : "ok",
                "last_error", p.lastFailure().map(e -> e.error().name()).orElse(null),
                "last_message", p.lastFailure().map(Failures::describe).orElse(null),
                "received", p.lastSummary().map(s -> (long) s.received()).orElse(null),
                "added", p.lastSummary().map(s -> (long) s.added()).orElse(null),
                "sent", p.lastSummary().map(s -> (long) s.sent()).orElse(null),
                "failures_in_a_row", (long) p.failuresInARow());
    }

    @SuppressWarnings("unchecked")
    private static void print(PrintStream out, SyncNode node, Map<String, Object> status) throws Exception {
        out.println("data " + status.get("data"));
        out.println("device public key " + status.get("device_public_key"));
        if (Boolean.TRUE.equals(status.get("running"))) {
            out.println("running: serving " + (status.get("listen") == null ? "no sync server (client-only)" : "on " + status.get("listen"))
                    + ", control socket " + status.get("control_socket"));
            out.println("open sync sessions " + status.get("open_sessions") + ", hello subscribers " + status.get("hello_subscribers")
                    + ", hello subscriptions " + status.get("hello_subscriptions"));
        } else {
            out.println("not running (no node serves this directory)");
        }
        for (GraphId team : node.teams()) {
            out.println("team " + team.toHex() + ": " + node.size(team) + " commands, heads "
                    + Heads.text(node, team, "(empty: sync with a member)"));
        }
        for (Object o : (List<Object>) status.get("configured_peers")) {
            Map<String, Object> p = (Map<String, Object>) o;
            out.println("peer " + p.get("address") + " team " + p.get("team") + " interval "
                    + (p.get("interval_seconds") == null ? "none" : p.get("interval_seconds") + "s")
                    + (Boolean.TRUE.equals(p.get("bidirectional")) ? " bidirectional" : ""));
        }
        for (Object o : (List<Object>) status.getOrDefault("peers", List.of())) {
            Map<String, Object> p = (Map<String, Object>) o;
            String result = p.get("last_sync") == null ? "no sync yet"
                    : "last sync " + p.get("last_sync") + " " + ("ok".equals(p.get("last_result"))
                            ? "ok (received " + p.get("received") + ", " + p.get("added") + " new, sent " + p.get("sent") + ")"
                            : "failed " + p.get("failures_in_a_row") + "x: " + p.get("last_message"));
            out.println("sync " + p.get("address") + " team " + p.get("team") + (Boolean.TRUE.equals(p.get("scheduled")) ? " (scheduled)" : "")
                    + ": " + result);
        }
    }
}
