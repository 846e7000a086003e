package aranya.sync.cli;

import aranya.sync.node.SyncNode;
import java.io.PrintStream;
import java.util.HexFormat;

/** {@code init}: creates a node's data directory and keys, and prints its device key. */
final class InitCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "create a node (data directory, device key, TLS identity); print its public key";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync init [--data DIR]
                  Creates DIR (default ./aranya-sync-data or $ARANYA_SYNC_DATA) with owner-only
                  permissions, a device signing key and a QUIC identity, if they do not exist yet,
                  and prints the device public key that a team admin adds with 'team add-member'.""";
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags();
        try (SyncNode node = NodeOptions.open(args)) {
            out.println("node " + NodeOptions.dataDirectory(args).toAbsolutePath());
            out.println("device public key " + HexFormat.of().formatHex(node.devicePublicKey()));
        }
        return 0;
    }
}
