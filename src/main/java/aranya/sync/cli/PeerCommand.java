package aranya.sync.cli;

import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code peer add|remove|list}: the peers {@code serve} keeps in sync with. */
final class PeerCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "add, remove or list the peers 'serve' syncs with";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync peer add ADDRESS [--interval DURATION] [--bidirectional] [--no-sync-now] [--team TEAM]
                       aranya-sync peer remove ADDRESS [--team TEAM]
                       aranya-sync peer list [--json]
                  ADDRESS is host:port or [ipv6]:port. DURATION is ISO-8601 (PT10S) or a number of
                  seconds; without it the peer is synced once when 'serve' starts (unless --no-sync-now).
                  Peers are kept in DIR/peers.conf; a running 'serve' applies add and remove at once.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "interval");
    }

    @Override
    public int run(Invocation call) throws Exception {
        Args args = call.args();
        String action = args.positional(0, "what to do: add, remove or list");
        PeerFile peers = new PeerFile(call.dataDirectory());
        switch (action) {
            case "list" -> {
                args.allowFlags("json");
                args.allowPositionals(1);
                List<Object> json = new ArrayList<>();
                for (PeerFile.Entry e : peers.read()) {
                    if (call.json()) {
                        json.add(e.json());
                    } else {
                        call.out().println(e.line());
                    }
                }
                if (call.json()) {
                    call.out().println(Json.write(Json.object("peers", json)));
                }
            }
            case "add" -> {
                args.allowFlags("bidirectional", "no-sync-now");
                args.allowPositionals(2);
                PeerAddress address = NodeOptions.peerAddress(args.positional(1, "ADDRESS"));
                SyncPeerConfig.Builder config = SyncPeerConfig.builder()
                        .bidirectional(args.flag("bidirectional"))
                        .syncNow(!args.flag("no-sync-now"));
                try {
                    args.option("interval").map(PeerCommand::duration).ifPresent(config::interval);
                } catch (IllegalArgumentException e) {
                    throw new Args.UsageException(e.getMessage());
                }
                PeerFile.Entry entry = new PeerFile.Entry(address, call.team(), config.build());
                peers.put(entry);
                if (call.onRunningNode()) {
                    call.node().addSyncPeer(entry.peer(), entry.team(), entry.config());
                }
                call.out().println("peer " + entry.line());
            }
            case "remove" -> {
                args.allowFlags();
                args.allowPositionals(2);
                PeerAddress address = NodeOptions.peerAddress(args.positional(1, "ADDRESS"));
                GraphId team = call.team();
                if (!peers.remove(address, team)) {
                    throw new IllegalArgumentException("no peer " + address + " for that team");
                }
                if (call.onRunningNode()) {
                    call.node().removeSyncPeer(address, team);
                }
                call.out().println("removed " + address);
            }
            default -> throw new Args.UsageException("unknown peer action '" + action + "'");
        }
        return 0;
    }

    static Duration duration(String text) {
        try {
            return text.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(text)) : Duration.parse(text);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new Args.UsageException("not a duration: '" + text + "' (use seconds or ISO-8601 like PT10S)");
        }
    }
}
