package aranya.sync.cli;

import aranya.sync.control.CommandRunner;
import aranya.sync.control.ControlRequest;
import aranya.sync.node.SyncNode;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The command line as a node's control socket runs it: the same commands, against the node
 * that is already open. Registered in module-info as the module's {@link CommandRunner}.
 */
public final class ControlCommands implements CommandRunner<SyncNode> {
    /** Called by {@link java.util.ServiceLoader}. */
    public ControlCommands() {}

    @Override
    public int run(SyncNode node, Path dataDirectory, ControlRequest request, OutputStream out, OutputStream err) {
        PrintStream o = new PrintStream(new BufferedOutputStream(out, 1 << 16), false, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        try {
            return Main.runOnNode(node, dataDirectory, request, o, e);
        } finally {
            o.flush();
            e.flush();
        }
    }
}
