package aranya.sync.cli;

import aranya.sync.graph.storage.FileStorageProvider;
import aranya.sync.node.SyncNode;
import java.util.List;
import java.util.Set;

/**
 * {@code repair}: cuts a damaged graph log back to its intact records, moving the rest aside.
 * It never runs on a node: it takes the directory lock itself, so it is refused while a node
 * (serve, or an application) has the directory open.
 */
final class RepairCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "repair a damaged graph log: keep what precedes the damage, move the rest aside";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync repair [--team TEAM] [--data DIR]
                  Run it when a command fails because a graph log is damaged, or a node logged that
                  one is, with no node running on DIR (it is refused while one does: stop it
                  first). It checks every record of each log; an open checks only the records
                  after the index checkpoint, and the rest in the background, so this is also the way
                  to check a whole log at once. For each team's log (or TEAM's only), it keeps the intact records before
                  the first damaged one and moves every byte from there to the end into
                  DIR/graphs/<team>.graph.damaged-at-<offset>, deleting nothing; intact logs are
                  left alone. Commands that were moved aside come back at the next sync with a
                  peer that has them; commands only this node had are in the moved-aside file.""";
    }

    @Override
    public Set<String> valuedOptions() {
        return Set.of("data", "team");
    }

    @Override
    public Main.NodeUse nodeUse() {
        return Main.NodeUse.EXCLUSIVE;
    }

    @Override
    public int run(Invocation call) throws Exception {
        Args args = call.args();
        args.allowFlags();
        args.allowPositionals(0);
        var out = call.out();
        List<FileStorageProvider.Repair> repairs = SyncNode.repairGraphs(call.dataDirectory(), NodeOptions.namedTeam(args));
        if (repairs.isEmpty()) {
            out.println("no graph logs to check");
        }
        for (FileStorageProvider.Repair r : repairs) {
            String prefix = "team " + r.graph().toHex() + ": ";
            if (r.movedTo().isEmpty()) {
                out.println(prefix + "log intact (" + r.keptBatches() + " batches), nothing changed");
            } else {
                out.println(prefix + r.finding());
                out.println(prefix + "kept the " + r.keptBatches() + " batches before byte " + r.keptBytes()
                        + "; moved the " + r.movedBytes() + " bytes after them to " + r.movedTo().get());
            }
        }
        return 0;
    }
}
