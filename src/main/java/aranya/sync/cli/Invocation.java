package aranya.sync.cli;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * One run of a command: its arguments, output and input, and the node it works on. The node
 * is either the one running in this process and serving the data directory (the command came
 * through the control socket), or opened here on first use and closed with the invocation.
 */
final class Invocation implements AutoCloseable {
    private final Args args;
    private final PrintStream out;
    private final PrintStream err;
    private final byte[] input;
    private final Path dataDirectory;
    private final boolean onRunningNode;
    private SyncNode node;

    private Invocation(Args args, PrintStream out, PrintStream err, byte[] input, Path dataDirectory, SyncNode node) {
        this.args = args;
        this.out = out;
        this.err = err;
        this.input = input;
        this.dataDirectory = dataDirectory;
        this.onRunningNode = node != null;
        this.node = node;
    }

    /** A command run in its own process; the node of --data is opened when first needed. */
    static Invocation direct(Args args, PrintStream out, PrintStream err, byte[] input) {
        return new Invocation(args, out, err, input, NodeOptions.dataDirectory(args), null);
    }

    /** A command sent to node, which runs in this process and serves dataDirectory. */
    static Invocation onRunningNode(Args args, PrintStream out, PrintStream err, byte[] input, SyncNode node, Path dataDirectory) {
        return new Invocation(args, out, err, input, dataDirectory, node);
    }

    Args args() {
        return args;
    }

    PrintStream out() {
        return out;
    }

    /** Standard error, for progress; failures are thrown, not printed. */
    PrintStream err() {
        return err;
    }

    /** What the command read before it ran ({@link Main.CliCommand#input}). */
    byte[] input() {
        return input;
    }

    /** Whether the command asked for JSON output. */
    boolean json() {
        return args.flag("json");
    }

    Path dataDirectory() {
        return dataDirectory;
    }

    /** Whether the node is a running one (serve, or an application) that this command was sent to. */
    boolean onRunningNode() {
        return onRunningNode;
    }

    /** The node: the running one, or the data directory's, opened now (client-only) if not yet. */
    SyncNode node() throws IOException, SyncException {
        if (node == null) {
            node = NodeOptions.builder(dataDirectory, args).open();
        }
        return node;
    }

    /** The team named by --team, or the node's only team. */
    GraphId team() throws IOException, SyncException {
        return NodeOptions.team(args, node());
    }

    /** Closes the node if this invocation opened it. */
    @Override
    public void close() throws SyncException {
        if (!onRunningNode && node != null) {
            node.close();
        }
    }
}
