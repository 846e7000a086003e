package aranya.sync.cli;

import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.Priority;
import aranya.sync.graph.SignedContent;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code demo}: two members write concurrently on two replicas, the replicas exchange what
 * the other lacks (in process, no network yet), both are persisted, reopened from disk, and
 * the braid order is printed from each: it is the same.
 */
final class DemoCommand implements Main.CliCommand {
    @Override
    public String summary() {
        return "build two diverging replicas of a team graph, merge, persist, reopen, print the braid";
    }

    @Override
    public int run(String[] args, PrintStream out) throws Exception {
        if (args.length > 0) {
            out.println("usage: aranya-sync demo   (takes no options; data goes to a temporary directory)");
            return args[0].equals("--help") ? 0 : 2;
        }
        Path data = Files.createTempDirectory("aranya-sync-demo");
        DeviceKey alice = DeviceKey.generate();
        DeviceKey bob = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(alice, List.of(bob.publicKey()));
        GraphId team = GraphId.of(init.id());
        out.println("team " + team.toHex() + " founded by alice, with bob");

        FileStorageProvider storeA = new FileStorageProvider(data.resolve("alice"));
        FileStorageProvider storeB = new FileStorageProvider(data.resolve("bob"));
        try (Graph a = Graph.open(storeA.open(team), new TeamMembersPolicy());
                Graph b = Graph.open(storeB.open(team), new TeamMembersPolicy())) {
            a.addCommands(List.of(init));
            b.addCommands(a.missing(List.of()));
            for (String text : List.of("alice: hello", "alice: who is here?")) {
                a.append(alice, Priority.basic(10), "message", Bytes.of(text.getBytes(StandardCharsets.UTF_8)));
            }
            b.append(bob, Priority.basic(10), "message", Bytes.of("bob: hi alice".getBytes(StandardCharsets.UTF_8)));
            b.append(bob, Priority.basic(20), "message", Bytes.of("bob: (urgent) lunch?".getBytes(StandardCharsets.UTF_8)));
            out.println("alice has " + a.size() + " commands, bob has " + b.size() + ": they diverged");

            var toBob = a.missing(b.sample(List.of(), 100));
            var bobResult = b.addCommands(toBob);
            var toAlice = b.missing(a.sample(List.of(), 100));
            var aliceResult = a.addCommands(toAlice);
            out.printf("alice -> bob: %d commands (%d merge made by bob); bob -> alice: %d commands%n",
                    toBob.size(), bobResult.merges(), toAlice.size());
            out.println("heads equal: " + a.head().equals(b.head()) + " (" + aliceResult.head() + ")");
        }
        for (String who : List.of("alice", "bob")) {
            FileStorageProvider reopened = new FileStorageProvider(data.resolve(who));
            try (Graph g = Graph.open(reopened.open(team), new TeamMembersPolicy())) {
                out.println("reopened " + who + "'s store from " + data.resolve(who) + ": braid order");
                for (Command c : g.weave()) {
                    SignedContent content = c.verify().orElseThrow();
                    String text = c.priority() instanceof Priority.Init
                            ? "(" + content.fields().length() / 32 + " founding member besides the author)"
                            : new String(content.fields().toByteArray(), StandardCharsets.UTF_8);
                    out.printf("  %s  %-10s %-10s %s%n", c.id(), c.priority(), content.kind(), text);
                }
            }
        }
        deleteRecursively(data);
        out.println("(removed " + data + ")");
        return 0;
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
