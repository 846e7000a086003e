package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.Prior;
import aranya.sync.graph.SignedContent;
import aranya.sync.node.SyncNode;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code log}: prints a team's commands in braid order. Commands are decoded, not verified:
 * the node verified each one before storing it, and verifying 100k signatures again would
 * make a listing take many seconds.
 */
final class LogCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "print a team's commands in braid order";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync log [--limit N] [--json] [--team TEAM] [--data DIR]
                  One line per command, parents first, concurrent commands by priority then id:
                  the same order on every node that holds the same commands. --limit N prints only
                  the last N (the newest). The last line lists the graph's heads (several until
                  this node next appends). --json prints one JSON object per command per line
                  (docs/cli-json.md) and no heads line.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "limit");
    }

    @Override
    public int run(Invocation call) throws Exception {
        Args args = call.args();
        args.allowFlags("json");
        args.allowPositionals(0);
        int limit = limit(args);
        SyncNode node = call.node();
        GraphId team = call.team();
        List<Command> commands = node.commands(team);
        for (Command c : commands.subList(Math.max(0, commands.size() - limit), commands.size())) {
            call.out().println(call.json() ? Json.write(json(c)) : describe(c));
        }
        if (!call.json()) {
            call.out().println("heads " + Heads.text(node, team, "[]"));
        }
        return 0;
    }

    private static int limit(Args args) {
        Optional<String> text = args.option("limit");
        if (text.isEmpty()) {
            return Integer.MAX_VALUE;
        }
        try {
            int limit = Integer.parseInt(text.get());
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // the usage error below says what is expected
        }
        throw new Args.UsageException("--limit takes a number of commands, 0 or more");
    }

    /** One line: id, priority, kind and text (control characters shown as '?'). */
    static String describe(Command c) throws SyncException {
        SignedContent content = SignedContent.decode(c.payload());
        String text = c.priority() instanceof Priority.Init
                ? "(team founded; " + content.fields().length() / 32 + " more founding members)"
                : new String(content.fields().toByteArray(), StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return String.format("%s %-10s %-12s %s", c.id(), c.priority(), content.kind(), text);
    }

    /** The command as documented in docs/cli-json.md. */
    private static Object json(Command c) throws SyncException {
        SignedContent content = SignedContent.decode(c.payload());
        byte[] fields = content.fields().toByteArray();
        Optional<String> text = Utf8.decode(fields);
        return Json.object(
                "id", c.id().toHex(),
                "max_cut", c.maxCut(),
                "parent", c.parent() instanceof Prior.Single(var p) ? p.id().toHex() : null,
                "priority", switch (c.priority()) {
                    case Priority.Basic b -> "basic";
                    case Priority.Init i -> "init";
                    case Priority.Finalize f -> "finalize";
                    case Priority.Merge m -> "merge";
                },
                "priority_value", c.priority() instanceof Priority.Basic(long v) ? v : null,
                "author", HexFormat.of().formatHex(content.authorPublicKey().toByteArray()),
                "kind", content.kind(),
                "text", text.orElse(null),
                "fields_hex", text.isPresent() ? null : HexFormat.of().formatHex(fields));
    }
}
