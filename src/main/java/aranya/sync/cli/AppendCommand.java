package aranya.sync.cli;

import aranya.sync.graph.Command;
import aranya.sync.graph.Priority;
import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** {@code append}: writes an application command. */
final class AppendCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "append a command (kind + text) to a team's graph";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync append KIND TEXT [--priority N] [--team TEAM] [--data DIR]
                  Signs a command of KIND with TEXT (UTF-8) as its fields on top of the team's head.
                  N is a basic priority 0..4294967295 (default 1); higher wins among concurrent commands.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team", "priority");
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags();
        String kind = args.positional(0, "KIND");
        String text = args.positional(1, "TEXT");
        long priority;
        try {
            priority = Long.parseLong(args.option("priority").orElse("1"));
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--priority takes a number");
        }
        try (SyncNode node = NodeOptions.open(args)) {
            Command c = node.append(NodeOptions.team(args, node), Priority.basic(priority), kind, text.getBytes(StandardCharsets.UTF_8));
            out.println(c.id().toHex());
        }
        return 0;
    }
}
