package aranya.sync.cli;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.SignedContent;
import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** {@code log}: prints a team's commands in braid order. */
final class LogCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "print a team's commands in braid order";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync log [--team TEAM] [--data DIR]
                  One line per command, parents first, concurrent commands by priority then id:
                  the same order on every node that holds the same commands. The last line
                  lists the graph's heads (several until this node next appends).""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags();
        try (SyncNode node = NodeOptions.open(args)) {
            GraphId team = NodeOptions.team(args, node);
            for (Command c : node.commands(team)) {
                out.println(describe(c));
            }
            out.println("heads " + node.heads(team));
        }
        return 0;
    }

    static String describe(Command c) throws aranya.sync.SyncException {
        SignedContent content = c.verify().orElseThrow();
        String text = c.priority() instanceof Priority.Init
                ? "(team founded; " + content.fields().length() / 32 + " more founding members)"
                : new String(content.fields().toByteArray(), StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return String.format("%s %-10s %-12s %s", c.id(), c.priority(), content.kind(), text);
    }
}
