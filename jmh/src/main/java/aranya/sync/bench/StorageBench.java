package aranya.sync.bench;

import aranya.sync.graph.Address;
import aranya.sync.graph.Bytes;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.graph.DeviceKey;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.GraphStore;
import aranya.sync.graph.Prior;
import aranya.sync.graph.Priority;
import aranya.sync.graph.TeamMembersPolicy;
import aranya.sync.graph.storage.FileStorageProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Storage figures for large graphs, each run in a JVM of its own (so heap and open times are
 * those of a fresh process); uses only the graph's public API, so the same source measures an
 * older build too.
 * <pre>
 *   build DIR N   writes a graph of N commands into DIR (fabricated, not signed: opening and
 *                 serving never verify stored commands, and signing 10M would take an hour)
 *   open DIR      opens it once: prints the open time (split into opening the store, which
 *                 checks the log, and opening the graph on it, which loads or rebuilds the
 *                 index), heap bytes per command after GC, and the responder's time for a
 *                 10-command difference
 *   serve DIR     opens it and answers one 10-command difference; exits 0 if that worked
 *                 (run under decreasing -Xmx to find the smallest heap that serves)
 *   report N...   for each size: builds the graph once into target/bench-storage/N, opens it
 *                 three times in fresh JVMs (the first open of a log without index files
 *                 builds them), then bisects the smallest -Xmx (in MiB) at which serve works
 * </pre>
 * Shape: as {@link BenchGraphs}, a chain with a two-writer fork and merge every 100 commands;
 * every command carries the same 100-byte-field payload and a random id.
 */
public final class StorageBench {
    private StorageBench() {}

    /** Runs one mode; see the class comment. */
    public static void main(String[] args) throws Exception {
        Path dir = args[0].equals("report") ? null : Path.of(args[1]);
        switch (args[0]) {
            case "build" -> build(dir, Integer.parseInt(args[2]));
            case "open" -> open(dir);
            case "serve" -> serve(dir);
            case "report" -> {
                for (int i = 1; i < args.length; i++) {
                    report(Integer.parseInt(args[i]));
                }
            }
            default -> throw new IllegalArgumentException("mode: build | open | serve");
        }
    }

    private static void report(int size) throws Exception {
        Path dir = Path.of("target", "bench-storage", Integer.toString(size));
        if (!Files.exists(dir.resolve("graph.id"))) {
            Path scratch = Path.of("target", "bench-storage", size + ".building");
            BenchGraphs.deleteTree(scratch);
            child("2g", "build", scratch.toString(), Integer.toString(size));
            Files.move(scratch, dir);
        }
        System.out.println("--- " + size + " commands (" + dir + ")");
        for (int i = 0; i < 3; i++) {
            child("4g", "open", dir.toString());
        }
        int lo = 8; // fails (or assumed to)
        int hi = 4096; // works (or assumed to)
        while (hi - lo > Math.max(4, lo / 16)) {
            int mid = (lo + hi) / 2;
            if (child(mid + "m", "serve", dir.toString()) == 0) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        System.out.printf("smallest -Xmx that opens and serves a 10-command difference: %d MiB (%d MiB failed)%n", hi, lo);
    }

    /** Runs a mode in a fresh JVM with this heap limit; its output goes to ours unless it is serve. */
    private static int child(String heap, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), StorageBench.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        if (args[0].equals("serve")) {
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.inheritIO();
        }
        return pb.start().waitFor();
    }

    private static void build(Path dir, int size) throws Exception {
        Random rnd = new Random(size);
        DeviceKey alice = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(alice, List.of());
        byte[] fields = new byte[100];
        rnd.nextBytes(fields);
        Bytes payload = Command.action(alice, init.address(), Priority.basic(1), "bench", Bytes.of(fields)).payload();
        GraphId graph = GraphId.of(init.id());
        try (FileStorageProvider storage = new FileStorageProvider(dir); GraphStore store = storage.open(graph)) {
            store.append(List.of(init));
            Address head = init.address();
            int count = 1;
            long start = System.nanoTime();
            while (count < size) {
                List<Command> batch = new ArrayList<>(2000);
                for (int unit = 0; unit < 20 && count + batch.size() < size; unit++) {
                    Address alicTip = chain(batch, head, 95, payload, rnd);
                    Address bobTip = chain(batch, head, 4, payload, rnd);
                    Command merge = Command.merge(alicTip, bobTip);
                    batch.add(merge);
                    head = merge.address();
                }
                store.append(batch);
                count += batch.size();
            }
            Files.writeString(dir.resolve("graph.id"), graph.toHex());
            System.out.printf("built %d commands in %.1f s%n", count, (System.nanoTime() - start) / 1e9);
        }
    }

    private static Address chain(List<Command> out, Address from, int n, Bytes payload, Random rnd) {
        Address p = from;
        for (int i = 0; i < n; i++) {
            byte[] id = new byte[32];
            rnd.nextBytes(id);
            Command c = new Command(CommandId.of(id), Priority.basic(1), new Prior.Single(p), Bytes.EMPTY, payload);
            out.add(c);
            p = c.address();
        }
        return p;
    }

    private static Graph openGraph(Path dir) throws Exception {
        return Graph.open(openStore(dir), new TeamMembersPolicy());
    }

    private static GraphStore openStore(Path dir) throws Exception {
        GraphId id = GraphId.fromHex(Files.readString(dir.resolve("graph.id")).trim());
        return new FileStorageProvider(dir).open(id);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void open(Path dir) throws Exception {
        long before = usedAfterGc();
        long start = System.nanoTime();
        GraphStore store = openStore(dir);
        long opened = System.nanoTime();
        Graph graph = Graph.open(store, new TeamMembersPolicy());
        double openMs = (System.nanoTime() - start) / 1e6;
        double storeMs = (opened - start) / 1e6;
        long after = usedAfterGc();
        int size = graph.size();
        List<Address> known = List.of(behind(graph, 10));
        int sent = graph.missing(known).size();
        long[] times = new long[2000];
        for (int i = 0; i < times.length; i++) {
            long t = System.nanoTime();
            graph.missing(known);
            times[i] = System.nanoTime() - t;
        }
        Arrays.sort(times);
        System.out.printf("commands %d  open %.0f ms (store %.0f ms, graph %.0f ms)  heap %.1f bytes/command (%.1f MiB)  responder(10 missing, got %d) median %.1f us%n",
                size, openMs, storeMs, openMs - storeMs, (after - before) / (double) size, (after - before) / 1048576.0, sent, times[times.length / 2] / 1e3);
        graph.close();
    }

    private static void serve(Path dir) throws Exception {
        try (Graph graph = openGraph(dir)) {
            int sent = graph.missing(List.of(behind(graph, 10))).size();
            System.out.println("served " + sent + " of " + graph.size());
            System.exit(sent >= 10 ? 0 : 3);
        }
    }

    /** The address commands back from the head along the longer branch. */
    private static Address behind(Graph graph, int commands) {
        Address at = graph.heads().getFirst();
        for (int i = 0; i < commands; i++) {
            at = graph.command(at.id()).orElseThrow().parent().addresses().stream()
                    .max(Comparator.comparingLong(Address::maxCut)).orElseThrow();
        }
        return at;
    }
}
