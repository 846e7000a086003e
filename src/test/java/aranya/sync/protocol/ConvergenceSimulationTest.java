package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.graph.Address;
import aranya.sync.graph.Command;
import aranya.sync.graph.CommandId;
import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Convergence of many in-process nodes (in-memory streams, seeded): every node appends while
 * apart, then rounds follow in which every node syncs once with each of its partners, as a
 * requester, one-way or bidirectionally, in a fixed order (one seeded permutation of the
 * nodes, the same every round) or a freshly shuffled one. For each
 * topology this checks what lazy merges promise: the head sets are equal in the first round in
 * which every node holds every real command; no merge commands are made (nobody appends after
 * syncing); each node receives each command it lacked about once (at most 5% over the
 * minimum); and one more round transfers nothing. Then, in the shuffled cases, a few nodes
 * append on the common head set and everyone converges again: every appender writes the same
 * merges, and the head sets are again equal in the round the new commands arrive.
 *
 * <p>50 nodes appending one command each by default (signature checks dominate the run time:
 * every node verifies every command it receives);
 * {@code -Daranya.convergence.nodes=200 -Daranya.convergence.appends=20} for the large run.
 * The table is printed at the end.
 */
class ConvergenceSimulationTest {
    private static final int NODES = Integer.getInteger("aranya.convergence.nodes", 50);
    private static final int APPENDS = Integer.getInteger("aranya.convergence.appends", 1);
    private static final long SEED = Long.getLong("aranya.test.seed", 0x5EED_0013L);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** Nodes that append once more after the first convergence. */
    private static final int LATE_APPENDERS = 3;

    private static final List<String> TABLE = Collections.synchronizedList(new ArrayList<>());
    private static final java.util.concurrent.atomic.AtomicLong SESSIONS = new java.util.concurrent.atomic.AtomicLong();

    enum Topology {
        RING, DIRECTED_RING, LINE, STAR, RANDOM_3_REGULAR;

        /** The nodes node i syncs with, as the requester. */
        List<List<Integer>> partners(int n, Random rnd) {
            List<List<Integer>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(new ArrayList<>());
            }
            switch (this) {
                case RING -> {
                    for (int i = 0; i < n; i++) {
                        out.get(i).addAll(List.of((i + n - 1) % n, (i + 1) % n));
                    }
                }
                case DIRECTED_RING -> {
                    for (int i = 0; i < n; i++) {
                        out.get(i).add((i + 1) % n);
                    }
                }
                case LINE -> {
                    for (int i = 0; i < n; i++) {
                        if (i > 0) {
                            out.get(i).add(i - 1);
                        }
                        if (i < n - 1) {
                            out.get(i).add(i + 1);
                        }
                    }
                }
                case STAR -> {
                    for (int i = 1; i < n; i++) {
                        out.get(i).add(0);
                        out.get(0).add(i);
                    }
                }
                case RANDOM_3_REGULAR -> {
                    for (List<Integer> edge : randomThreeRegular(n, rnd)) {
                        out.get(edge.get(0)).add(edge.get(1));
                        out.get(edge.get(1)).add(edge.get(0));
                    }
                }
            }
            return out;
        }
    }

    /** A random simple 3-regular graph on n (even) nodes: random pairings of three stubs per node until one has no loop or double edge. */
    private static List<List<Integer>> randomThreeRegular(int n, Random rnd) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            List<Integer> stubs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                stubs.addAll(List.of(i, i, i));
            }
            Collections.shuffle(stubs, rnd);
            Set<List<Integer>> edges = new HashSet<>();
            boolean simple = true;
            for (int k = 0; k < stubs.size() && simple; k += 2) {
                int a = Math.min(stubs.get(k), stubs.get(k + 1));
                int b = Math.max(stubs.get(k), stubs.get(k + 1));
                simple = a != b && edges.add(List.of(a, b));
            }
            if (simple) {
                return new ArrayList<>(edges);
            }
        }
        throw new IllegalStateException("no simple 3-regular graph on " + n + " nodes found");
    }

    /** What one run measured. */
    record Outcome(int allCommandsRound, int equalHeadsRound, int merges, long transferred, long minimum, long extraRound,
            int lateMerges, int lateRoundsLag, long lateExtraRound) {}

    @Test
    void everyTopologySettlesInTheRoundItsDataArrives() throws Exception {
        int caseNumber = 0;
        for (Topology topology : Topology.values()) {
            for (boolean bidirectional : new boolean[] {false, true}) {
                for (boolean shuffled : new boolean[] {false, true}) {
                    long seed = SEED + caseNumber++;
                    Outcome o = run(topology, bidirectional, shuffled, seed);
                    String name = String.format("%-16s %-13s %-8s", topology, bidirectional ? "bidirectional" : "one-way",
                            shuffled ? "random" : "fixed");
                    TABLE.add(String.format("| %s | %d | %d | %d | %d / %d = %.3f | %d | %s |", name,
                            o.allCommandsRound(), o.equalHeadsRound(), o.merges(), o.transferred(), o.minimum(),
                            (double) o.transferred() / o.minimum(), o.extraRound(), shuffled
                                    ? o.lateMerges() + ", +" + o.lateRoundsLag() + " rounds, then " + o.lateExtraRound() : "-"));
                    String what = name + " seed " + Long.toHexString(seed);
                    assertThat(o.equalHeadsRound()).as(what + ": heads equal in the round all commands arrived").isEqualTo(o.allCommandsRound());
                    assertThat(o.merges()).as(what + ": nobody appended after syncing, so no merges").isZero();
                    assertThat(o.transferred()).as(what + ": commands transferred").isLessThanOrEqualTo(o.minimum() * 105 / 100);
                    assertThat(o.extraRound()).as(what + ": commands moved by a further round").isZero();
                    if (shuffled) {
                        assertThat(o.lateMerges()).as(what + ": the late appenders merged the same heads identically").isEqualTo(NODES - 1);
                        assertThat(o.lateRoundsLag()).as(what + ": heads equal in the round the late commands arrived").isZero();
                        assertThat(o.lateExtraRound()).as(what + ": commands moved by a round after the late appends").isZero();
                    }
                }
            }
        }
    }

    @AfterAll
    static void printTable() {
        System.out.printf("%nConvergence, %d nodes, %d appends each while apart, then %d nodes append once on the common heads:%n",
                NODES, APPENDS, LATE_APPENDERS);
        System.out.println("| topology, mode, order | round all commands everywhere | round heads equal | merges |"
                + " transferred / minimum | further round | late: merges, heads-equal lag, further round |");
        TABLE.forEach(System.out::println);
        System.out.println(SESSIONS.get() + " sync sessions in all");
    }

    private Outcome run(Topology topology, boolean bidirectional, boolean shuffled, long seed) throws Exception {
        Random rnd = new Random(seed);
        List<List<Integer>> partners = topology.partners(NODES, rnd);
        List<Integer> fixed = new ArrayList<>(java.util.stream.IntStream.range(0, NODES).boxed().toList());
        Collections.shuffle(fixed, rnd);
        java.util.function.Supplier<List<Integer>> order = () -> {
            if (shuffled) {
                Collections.shuffle(fixed, rnd);
            }
            return fixed;
        };
        Command init = TestPeer.newTeam();
        List<TestPeer> nodes = new ArrayList<>();
        Set<CommandId> real = new HashSet<>(Set.of(init.id()));
        try {
            for (int i = 0; i < NODES; i++) {
                TestPeer p = TestPeer.of(init);
                nodes.add(p);
                p.append(APPENDS, 16).forEach(c -> real.add(c.id()));
            }
            long minimum = (long) NODES * (NODES - 1) * APPENDS;
            long[] transferred = {0};
            int rounds = 0;
            int allCommandsRound = -1;
            int equalHeadsRound = -1;
            while (allCommandsRound < 0 || equalHeadsRound < 0) {
                assertThat(rounds).as("rounds for %s", topology).isLessThan(4 * NODES + 10);
                rounds++;
                transferred[0] += round(nodes, partners, bidirectional, order.get());
                if (allCommandsRound < 0 && everyoneHolds(nodes, real)) {
                    allCommandsRound = rounds;
                }
                if (equalHeadsRound < 0 && sameHeads(nodes)) {
                    equalHeadsRound = rounds;
                }
            }
            int merges = nodes.get(0).graph.size() - real.size();
            long extra = round(nodes, partners, bidirectional, order.get());
            if (!shuffled) {
                return new Outcome(allCommandsRound, equalHeadsRound, merges, transferred[0], minimum, extra, 0, 0, 0);
            }

            // A few nodes append once on the common head set; then everyone converges again.
            for (int i : order.get().subList(0, LATE_APPENDERS)) {
                nodes.get(i).append(1, 16).forEach(c -> real.add(c.id()));
            }
            int lateAllRound = -1;
            int lateHeadsRound = -1;
            for (int late = 1; lateAllRound < 0 || lateHeadsRound < 0; late++) {
                assertThat(late).as("rounds after the late appends for %s", topology).isLessThan(4 * NODES + 10);
                round(nodes, partners, bidirectional, order.get());
                if (lateAllRound < 0 && everyoneHolds(nodes, real)) {
                    lateAllRound = late;
                }
                if (lateHeadsRound < 0 && sameHeads(nodes)) {
                    lateHeadsRound = late;
                }
            }
            int lateMerges = nodes.get(0).graph.size() - real.size() - merges;
            long lateExtra = round(nodes, partners, bidirectional, order.get());
            return new Outcome(allCommandsRound, equalHeadsRound, merges, transferred[0], minimum, extra,
                    lateMerges, lateHeadsRound - lateAllRound, lateExtra);
        } finally {
            for (TestPeer p : nodes) {
                p.close();
            }
        }
    }

    /** One round: every node, in order, syncs with each partner. Returns the commands moved. */
    private static long round(List<TestPeer> nodes, List<List<Integer>> partners, boolean bidirectional, List<Integer> order)
            throws Exception {
        long moved = 0;
        for (int i : order) {
            for (int j : partners.get(i)) {
                moved += sync(nodes, i, j, bidirectional);
            }
        }
        return moved;
    }

    private static long sync(List<TestPeer> nodes, int client, int server, boolean bidirectional) throws Exception {
        SESSIONS.incrementAndGet();
        InMemoryMessageStream[] pair = InMemoryMessageStream.pair("node" + client, "node" + server, Limits.MAX_SYNC_MESSAGE_SIZE, DEADLINE);
        CompletableFuture<SyncSummary> served = nodes.get(server).serve(pair[1], id -> true);
        SyncSummary s = new SyncSession(pair[0], nodes.get(client).cache, Limits.MAX_SYNC_MESSAGE_SIZE)
                .requestSync(nodes.get(client).graph, bidirectional);
        served.get(30, TimeUnit.SECONDS);
        return s.received() + s.sent();
    }

    private static boolean everyoneHolds(List<TestPeer> nodes, Set<CommandId> real) {
        for (TestPeer p : nodes) {
            for (CommandId id : real) {
                if (!p.graph.contains(id)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean sameHeads(List<TestPeer> nodes) {
        List<Address> first = nodes.get(0).graph.heads();
        for (TestPeer p : nodes) {
            if (!p.graph.heads().equals(first)) {
                return false;
            }
        }
        return true;
    }
}
