package aranya.sync.control;

import java.io.OutputStream;

/**
 * Runs a command line against a node that is open in this process: what a node with a
 * control socket does with each {@link ControlRequest}. The module's command line provides
 * the implementation as a service ({@code provides} in module-info), so the node, which
 * cannot depend on the command line, finds it with {@link java.util.ServiceLoader}.
 *
 * @param <N> the node type (the node package's {@code SyncNode}; generic so that this
 *     package depends on no other package of the module)
 */
public interface CommandRunner<N> {
    /**
     * Runs request against node; returns the exit code.
     *
     * @param dataDirectory the node's data directory
     * @param out the command's standard output, sent to the client as it is written
     * @param err the command's standard error, likewise
     */
    int run(N node, java.nio.file.Path dataDirectory, ControlRequest request, OutputStream out, OutputStream err);
}
