package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compact index against a brute-force scan of the same random DAG: every query (id
 * lookup, heads, is-ancestor, missing, weave, the sample's exponential ancestors) answers
 * exactly as walking plain lists of parents does, for an index built command by command
 * (one that rolled a batch back on the way), one added in bulk as a graph being opened does,
 * each with its columns on the heap and in mapped files; and for indexes reopened over those
 * files from a saved state: the full one (a clean close), and one saved halfway while the
 * files went on receiving rows and table numbers (a crash), whose tail is then added again. Ids are random but many share their first 8 bytes with
 * another, so the index must tell them apart by the full id it reads back through the store.
 * Commands are not signed: the index never looks at signatures.
 */
class GraphIndexPropertyTest {
    /** A DAG as plain lists, and the queries answered by walking them. */
    private static final class BruteDag implements DagView {
        final List<Command> commands = new ArrayList<>();
        final List<int[]> parents = new ArrayList<>();
        final Map<CommandId, Integer> byId = new HashMap<>();

        void add(Command c, int... ps) {
            byId.put(c.id(), commands.size());
            commands.add(c);
            parents.add(ps);
        }

        BitSet ancestorsOrSelf(int n) {
            BitSet seen = new BitSet();
            List<Integer> stack = new ArrayList<>(List.of(n));
            while (!stack.isEmpty()) {
                int x = stack.removeLast();
                if (!seen.get(x)) {
                    seen.set(x);
                    for (int p : parents.get(x)) {
                        stack.add(p);
                    }
                }
            }
            return seen;
        }

        Set<Integer> heads() {
            Set<Integer> out = new HashSet<>();
            for (int n = 0; n < commands.size(); n++) {
                out.add(n);
            }
            for (int[] ps : parents) {
                for (int p : ps) {
                    out.remove(p);
                }
            }
            return out;
        }

        @Override
        public int parentCount(int node) {
            return parents.get(node).length;
        }

        @Override
        public int parent(int node, int k) {
            return parents.get(node)[k];
        }

        @Override
        public Priority priority(int node) {
            return commands.get(node).priority();
        }

        @Override
        public CommandId id(int node) {
            return commands.get(node).id();
        }
    }

    @TempDir
    Path dir;

    /** Index files as a file store offers them, without the checkpoint (the test keeps the state itself). */
    private record MappedFiles(Path dir) implements IndexFiles {
        @Override
        public Optional<Checkpoint> load(String tag) {
            return Optional.empty();
        }

        @Override
        public void save(String tag, long position, ByteBuffer state, Set<String> keep) {}

        @Override
        public void discard() {}

        @Override
        public long size(String area) throws IOException {
            try {
                return Files.size(dir.resolve(area));
            } catch (NoSuchFileException e) {
                return 0;
            }
        }

        @Override
        public ByteBuffer map(String area, long offset, int length) throws IOException {
            try (FileChannel ch = FileChannel.open(dir.resolve(area), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                return ch.map(FileChannel.MapMode.READ_WRITE, offset, length);
            }
        }

        @Override
        public void clear(String area) throws IOException {
            Files.deleteIfExists(dir.resolve(area));
        }
    }

    @RepeatedTest(8)
    void theIndexAnswersAsABruteForceScan(RepetitionInfo rep) throws Exception {
        long seed = 0x1d3c_0000L + rep.getCurrentRepetition();
        Random rnd = new Random(seed);
        // One repetition large enough that the id table grows (past 1536 commands) after the halfway state.
        int size = rep.getCurrentRepetition() == 1 ? 1800 : 200 + rnd.nextInt(1200);
        BruteDag dag = randomDag(rnd, size);
        List<Command> store = dag.commands; // locator = position, as the in-memory store does
        GraphIndex.Bodies bodies = locator -> store.get((int) locator);
        GraphIndex.Memory built1Files = GraphIndex.mapped(new MappedFiles(Files.createDirectory(dir.resolve("built"))));
        GraphIndex.Memory bulkFiles = GraphIndex.mapped(new MappedFiles(Files.createDirectory(dir.resolve("bulk"))));
        List<GraphIndex> built = List.of(started(bodies, GraphIndex.HEAP), started(bodies, built1Files));
        List<GraphIndex> bulk = List.of(started(bodies, GraphIndex.HEAP), started(bodies, bulkFiles));
        int half = size / 2;
        ByteBuffer halfway = null;
        for (int n = 0; n < size; n++) {
            int[] ps = dag.parents.get(n);
            int pa = ps.length > 0 ? ps[0] : GraphIndex.NONE;
            int pb = ps.length > 1 ? ps[1] : GraphIndex.NONE;
            if (n == half) {
                halfway = saved(built.get(1));
                // A batch that fails: checked as pending commands, then rolled back.
                for (GraphIndex index : built) {
                    GraphIndex.Mark mark = index.mark();
                    index.beginPending();
                    for (int k = 0; k < 5; k++) {
                        Command extra = action(randomId(rnd, dag), new Address(index.id(index.size() - 1), index.maxCut(index.size() - 1)), 1);
                        index.addPending(extra, index.size() - 1, GraphIndex.NONE);
                    }
                    index.rollback(mark);
                    index.endPending();
                }
            }
            for (GraphIndex index : built) {
                assertThat(index.add(store.get(n), n, pa, pb)).isEqualTo(n);
            }
            for (GraphIndex index : bulk) {
                if (n == 0) {
                    index.beginBulk(true); // as a graph being opened adds its commands
                }
                index.add(GraphIndex.prefixOf(store.get(n).id()), n, pa, pb, store.get(n).priority());
            }
        }
        for (GraphIndex index : bulk) {
            index.endBulk();
        }
        for (GraphIndex index : List.of(built.get(0), built.get(1), bulk.get(0), bulk.get(1))) {
            check(index, dag, rnd, seed);
        }
        // Reopened after a clean close: everything comes from the files and the state.
        GraphIndex reopened = new GraphIndex(bodies, bulkFiles);
        reopened.restoreState(saved(bulk.get(1)), true);
        reopened.beginBulk(false);
        reopened.endBulk();
        check(reopened, dag, rnd, seed);
        // Reopened from the state saved halfway, after the files took the rest of the commands
        // (and a rolled-back batch): numbers from half on are cleared and the tail added again.
        GraphIndex recovered = new GraphIndex(bodies, built1Files);
        recovered.restoreState(halfway, false);
        assertThat(recovered.size()).isEqualTo(half);
        recovered.beginBulk(false);
        for (int n = half; n < size; n++) {
            int[] ps = dag.parents.get(n);
            recovered.add(store.get(n), n, ps.length > 0 ? ps[0] : GraphIndex.NONE, ps.length > 1 ? ps[1] : GraphIndex.NONE);
        }
        recovered.endBulk();
        check(recovered, dag, rnd, seed);
    }

    private static GraphIndex started(GraphIndex.Bodies bodies, GraphIndex.Memory memory) {
        GraphIndex index = new GraphIndex(bodies, memory);
        index.startEmpty();
        return index;
    }

    /** The state a checkpoint saves, with the index's files forced first. */
    private static ByteBuffer saved(GraphIndex index) {
        index.force();
        ByteBuffer state = ByteBuffer.allocate(index.stateBytes());
        index.saveState(state);
        assertThat(state.hasRemaining()).isFalse();
        return state.flip();
    }

    private static void check(GraphIndex index, BruteDag dag, Random rnd, long seed) throws Exception {
        int size = dag.commands.size();
        assertThat(index.size()).isEqualTo(size);
        for (int n = 0; n < size; n++) {
            Command c = dag.commands.get(n);
            assertThat(index.indexOf(c.id())).as("seed %x: lookup of %d", seed, n).isEqualTo(n);
            assertThat(index.maxCut(n)).isEqualTo(c.maxCut());
            assertThat(index.priority(n)).isEqualTo(c.priority());
            assertThat(index.command(n)).isEqualTo(c);
        }
        for (int k = 0; k < 50; k++) {
            // Unknown ids, half of them sharing a stored id's first 8 bytes.
            byte[] id = new byte[32];
            rnd.nextBytes(id);
            if (k % 2 == 0) {
                System.arraycopy(dag.commands.get(rnd.nextInt(size)).id().toByteArray(), 0, id, 0, 8);
            }
            assertThat(index.indexOf(CommandId.of(id))).isEqualTo(GraphIndex.NONE);
        }
        Set<Integer> heads = dag.heads();
        assertThat(Arrays.stream(index.heads()).boxed().toList()).as("seed %x", seed).containsExactlyInAnyOrderElementsOf(heads);

        BitSet[] ancestors = new BitSet[size];
        for (int n = 0; n < size; n++) {
            ancestors[n] = dag.ancestorsOrSelf(n);
        }
        for (int k = 0; k < 3000; k++) {
            int a = rnd.nextInt(size);
            int b = k % 3 == 0 ? a + rnd.nextInt(size - a) : rnd.nextInt(size);
            assertThat(index.isAncestorOrEqual(a, b)).as("seed %x: is %d an ancestor of %d", seed, a, b).isEqualTo(ancestors[b].get(a));
        }

        for (int trial = 0; trial < 40; trial++) {
            List<Address> known = new ArrayList<>();
            BitSet covered = new BitSet();
            for (int k = rnd.nextInt(4); k > 0; k--) {
                int n = rnd.nextInt(size);
                known.add(dag.commands.get(n).address());
                covered.or(ancestors[n]);
            }
            int[] missing = index.missing(known);
            BitSet expected = new BitSet();
            expected.set(0, size);
            expected.andNot(covered);
            BitSet got = new BitSet();
            for (int n : missing) {
                assertThat(got.get(n)).as("seed %x: %d sent twice", seed, n).isFalse();
                for (int p : dag.parents.get(n)) {
                    assertThat(!expected.get(p) || got.get(p)).as("seed %x: parent %d of %d first", seed, p, n).isTrue();
                }
                got.set(n);
            }
            assertThat(got).as("seed %x: missing(%s)", seed, known).isEqualTo(expected);
        }

        int[] headArray = heads.stream().mapToInt(Integer::intValue).sorted().toArray();
        assertThat(weave(dag, headArray)).as("seed %x: the brute-force weave works", seed).startsWith("[");
        assertThat(weave(index, headArray)).as("seed %x: weave", seed).isEqualTo(weave(dag, headArray));

        for (int k = 0; k < 20; k++) {
            int from = rnd.nextInt(size);
            IntList far = index.exponentialAncestors(from, 40);
            List<Integer> firstParents = new ArrayList<>();
            for (int n = from; ; n = dag.parents.get(n)[0]) {
                firstParents.add(n);
                if (dag.parents.get(n).length == 0) {
                    break;
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (long d = 1; expected.size() < 40; d <<= 1) {
                if (d >= firstParents.size() - 1) {
                    expected.add(firstParents.getLast());
                    break;
                }
                expected.add(firstParents.get((int) d));
            }
            assertThat(Arrays.stream(far.toArray()).boxed().toList()).as("seed %x: exponential ancestors of %d", seed, from).isEqualTo(expected);
        }
    }

    /** The weave, or the error it ends with (concurrent finalize commands). */
    private static String weave(DagView dag, int[] heads) {
        try {
            return Arrays.toString(Weave.order(dag, heads));
        } catch (aranya.sync.SyncException e) {
            return e.error().toString();
        }
    }

    /**
     * A random DAG: mostly chains on a random earlier command (many forks), some merges of
     * two random commands, one finalize priority; a quarter of the ids share their first
     * 8 bytes with an earlier one.
     */
    private static BruteDag randomDag(Random rnd, int size) {
        BruteDag dag = new BruteDag();
        byte[] initId = new byte[32];
        rnd.nextBytes(initId);
        dag.add(new Command(CommandId.of(initId), Priority.INIT, Prior.NONE, Bytes.EMPTY, Bytes.EMPTY));
        while (dag.commands.size() < size) {
            int n = dag.commands.size();
            int r = rnd.nextInt(10);
            if (r < 2 && n > 2) {
                int a = rnd.nextInt(n);
                int b = rnd.nextInt(n);
                if (a == b) {
                    continue;
                }
                Command m = Command.merge(dag.commands.get(a).address(), dag.commands.get(b).address());
                if (dag.byId.containsKey(m.id())) {
                    continue;
                }
                Address left = ((Prior.Merge) m.parent()).left();
                dag.add(m, dag.byId.get(left.id()), dag.byId.get(((Prior.Merge) m.parent()).right().id()));
            } else {
                // Mostly on the newest command (long chains), sometimes on an older one (a fork).
                int p = r < 7 ? n - 1 : rnd.nextInt(n);
                // One finalize command: two concurrent ones would make every weave fail alike.
                boolean finalize = r == 9 && n > size / 3 && dag.commands.stream().noneMatch(x -> x.priority() instanceof Priority.Finalize);
                Command c = action(randomId(rnd, dag), dag.commands.get(p).address(), finalize ? -1 : rnd.nextInt(3));
                dag.add(c, p);
            }
        }
        return dag;
    }

    private static CommandId randomId(Random rnd, BruteDag dag) {
        byte[] id = new byte[32];
        rnd.nextBytes(id);
        if (rnd.nextInt(4) == 0) {
            System.arraycopy(dag.commands.get(rnd.nextInt(dag.commands.size())).id().toByteArray(), 0, id, 0, 8);
        }
        return CommandId.of(id);
    }

    /** A command on parent with basic priority value, or finalize for -1. */
    private static Command action(CommandId id, Address parent, int value) {
        return new Command(id, value < 0 ? Priority.FINALIZE : Priority.basic(value), new Prior.Single(parent), Bytes.EMPTY, Bytes.EMPTY);
    }
}
