package aranya.sync.cli;

import aranya.sync.node.SyncNode;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
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
                       aranya-sync peer list
                  ADDRESS is host:port or [ipv6]:port. DURATION is ISO-8601 (PT10S) or a number of
                  seconds; without it the peer is synced once when 'serve' starts (unless --no-sync-now).
                  Peers are kept in DIR/peers.conf; a running 'serve' picks changes up when restarted.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "interval");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags("bidirectional", "no-sync-now");
        String action = args.positional(0, "what to do: add, remove or list");
        PeerFile peers = new PeerFile(NodeOptions.dataDirectory(args));
        switch (action) {
            case "list" -> peers.read().forEach(e -> out.println(e.line()));
            case "add" -> {
                PeerAddress address = PeerAddress.parse(args.positional(1, "ADDRESS"));
                SyncPeerConfig.Builder config = SyncPeerConfig.builder()
                        .bidirectional(args.flag("bidirectional"))
                        .syncNow(!args.flag("no-sync-now"));
                args.option("interval").map(PeerCommand::duration).ifPresent(config::interval);
                try (SyncNode node = NodeOptions.open(args)) {
                    PeerFile.Entry entry = new PeerFile.Entry(address, NodeOptions.team(args, node), config.build());
                    peers.put(entry);
                    out.println("peer " + entry.line());
                }
            }
            case "remove" -> {
                PeerAddress address = PeerAddress.parse(args.positional(1, "ADDRESS"));
                try (SyncNode node = NodeOptions.open(args)) {
                    if (!peers.remove(address, NodeOptions.team(args, node))) {
                        throw new IllegalArgumentException("no peer " + address + " for that team");
                    }
                    out.println("removed " + address);
                }
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
