package aranya.sync.cli;

import aranya.sync.node.SyncNode;
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
                  and prints the device public key that a team admin adds with 'team add-member'.
                  Every other command needs a directory made by init.""";
    }

    @Override
    public Main.NodeUse nodeUse() {
        return Main.NodeUse.CREATE;
    }

    @Override
    public int run(Invocation call) throws Exception {
        call.args().allowFlags();
        call.args().allowPositionals(0);
        SyncNode node = call.node();
        call.out().println("node " + call.dataDirectory().toAbsolutePath());
        call.out().println("device public key " + HexFormat.of().formatHex(node.devicePublicKey()));
        return 0;
    }
}
