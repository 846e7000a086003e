package aranya.sync.cli;

import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.node.SyncNode;
import aranya.sync.node.TeamCredentials;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code demo}: three nodes on loopback, real QUIC, file storage in a temporary directory.
 * Alice and Bob run sync servers; Carol is client-only (nobody can dial her, like a phone
 * behind NAT). All three write while apart, then Carol and Bob sync bidirectionally with
 * Alice, and Carol once more: every node ends with the same graph and braid order, and
 * Carol's commands reached the others although no one ever connected to her.
 */
final class DemoCommand implements Main.CliCommand {
    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    @Override
    public String summary() {
        return "three nodes on loopback (one client-only) diverge and converge by bidirectional sync";
    }

    @Override
    public String usage() {
        return """
                usage: aranya-sync demo [--keep]
                  Runs three in-process nodes over QUIC on 127.0.0.1 with data in a temporary
                  directory (removed afterwards unless --keep).""";
    }

    @Override
    public int run(Args args, PrintStream out) throws Exception {
        args.allowFlags("keep");
        long start = System.nanoTime();
        Path data = Files.createTempDirectory("aranya-sync-demo");
        Optional<SyncPeerConfig> bidirectional = Optional.of(SyncPeerConfig.builder().bidirectional(true).build());
        try (SyncNode alice = SyncNode.builder(data.resolve("alice")).listenAddress(LOOPBACK_ANY_PORT).open();
                SyncNode bob = SyncNode.builder(data.resolve("bob")).listenAddress(LOOPBACK_ANY_PORT).open();
                SyncNode carol = SyncNode.builder(data.resolve("carol")).open()) {
            PeerAddress aliceAt = PeerAddress.of(alice.listenAddress().orElseThrow());
            out.println("alice serves on " + aliceAt + ", bob on " + PeerAddress.of(bob.listenAddress().orElseThrow())
                    + ", carol runs no server (client-only)");

            TeamCredentials team = alice.createTeam(List.of(bob.devicePublicKey(), carol.devicePublicKey()));
            GraphId id = team.team();
            bob.joinTeam(team);
            carol.joinTeam(team);
            out.println("alice founded team " + id + " with bob and carol; they joined with its credentials");
            report(out, "carol <-> alice (unidirectional, fetch the team)", carol.syncNow(aliceAt, id, Optional.empty()));
            report(out, "bob   <-> alice (unidirectional, fetch the team)", bob.syncNow(aliceAt, id, Optional.empty()));

            write(alice, id, "alice: the plan is on the wiki", "alice: meeting at 3");
            write(bob, id, "bob: I'll bring coffee");
            write(carol, id, "carol: on the train, offline", "carol: landed, syncing now", "carol: see you at 3");
            out.printf("they wrote apart: alice %d, bob %d, carol %d commands%n", alice.size(id), bob.size(id), carol.size(id));

            report(out, "carol <-> alice (bidirectional, one stream)", carol.syncNow(aliceAt, id, bidirectional));
            report(out, "bob   <-> alice (bidirectional, one stream)", bob.syncNow(aliceAt, id, bidirectional));
            report(out, "carol <-> alice (bidirectional, one stream)", carol.syncNow(aliceAt, id, bidirectional));

            boolean same = alice.heads(id).equals(bob.heads(id)) && bob.heads(id).equals(carol.heads(id))
                    && alice.commands(id).equals(bob.commands(id)) && bob.commands(id).equals(carol.commands(id));
            out.println("all three graphs match: " + same + " (heads " + alice.heads(id) + ")");
            out.println("braid order (the same on every node):");
            for (Command c : carol.commands(id)) {
                out.println("  " + LogCommand.describe(c));
            }
            out.printf("done in %d ms%n", (System.nanoTime() - start) / 1_000_000);
            if (!same) {
                return 1;
            }
        } finally {
            if (args.flag("keep")) {
                out.println("data kept in " + data);
            } else {
                deleteRecursively(data);
            }
        }
        return 0;
    }

    private static void write(SyncNode node, GraphId team, String... texts) throws Exception {
        for (String text : texts) {
            node.append(team, "message", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void report(PrintStream out, String what, SyncSummary s) {
        out.printf("%s: received %d (%d new), sent %d, %d bytes%n", what, s.received(), s.added(), s.sent(), s.bytes());
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
