package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** Randomized DAGs over several replicas: whatever the history, replicas converge identically. */
class GraphPropertyTest {
    private static final DeviceKey[] KEYS = {DeviceKey.generate(), DeviceKey.generate(), DeviceKey.generate()};

    @RepeatedTest(6)
    void replicasConvergeToTheSameGraphAndWeave(RepetitionInfo rep) throws Exception {
        long seed = 0x5eed_0000L + rep.getCurrentRepetition();
        Random rnd = new Random(seed);
        List<Replica> replicas = new ArrayList<>();
        Replica first = Replica.found(KEYS[0], KEYS[1], KEYS[2]);
        replicas.add(first);
        for (int i = 1; i < 5; i++) {
            Replica r = Replica.empty(first.graph.id());
            r.pullFrom(first);
            replicas.add(r);
        }
        for (int step = 0; step < 250; step++) {
            Replica r = replicas.get(rnd.nextInt(replicas.size()));
            if (rnd.nextInt(3) > 0) {
                r.graph.append(KEYS[rnd.nextInt(KEYS.length)], Priority.basic(rnd.nextInt(4)), "k", Bytes.of(new byte[] {(byte) step}));
            } else {
                Replica src = replicas.get(rnd.nextInt(replicas.size()));
                List<Command> missing = src.graph.missing(r.graph.sample(List.of(), 100));
                // A delivery limit: any prefix of a parents-first answer is a valid batch.
                int limit = missing.isEmpty() ? 0 : rnd.nextInt(missing.size() + 1);
                int chunk = 1 + rnd.nextInt(8);
                for (int from = 0; from < limit; from += chunk) {
                    r.graph.addCommands(missing.subList(from, Math.min(limit, from + chunk)));
                }
            }
        }
        // Full pairwise exchange; a bounded number of rounds must suffice.
        for (int round = 0; round < 4; round++) {
            for (Replica dst : replicas) {
                for (Replica src : replicas) {
                    if (dst != src) {
                        dst.pullFrom(src);
                    }
                }
            }
        }
        Replica ref = replicas.get(0);
        for (Replica r : replicas) {
            assertThat(r.graph.heads()).as("seed %x", seed).isEqualTo(ref.graph.heads());
            assertThat(r.graph.size()).as("seed %x", seed).isEqualTo(ref.graph.size());
            assertThat(r.graph.weave()).as("seed %x", seed).isEqualTo(ref.graph.weave());
        }
        for (Replica r : replicas) {
            r.close();
        }
    }

    @RepeatedTest(6)
    void missingIsExactlyWhatNoKnownCommandCoversInParentsFirstOrder(RepetitionInfo rep) throws Exception {
        long seed = 0xabc0_0000L + rep.getCurrentRepetition();
        Random rnd = new Random(seed);
        List<Replica> replicas = new ArrayList<>();
        Replica main = Replica.found(KEYS[0], KEYS[1], KEYS[2]);
        replicas.add(main);
        for (int i = 1; i < 3; i++) {
            Replica r = Replica.empty(main.graph.id());
            r.pullFrom(main);
            replicas.add(r);
        }
        for (int step = 0; step < 150; step++) {
            Replica r = replicas.get(rnd.nextInt(replicas.size()));
            if (rnd.nextInt(4) > 0) {
                r.graph.append(KEYS[rnd.nextInt(3)], Priority.basic(1), "k", Bytes.of(new byte[] {(byte) step}));
            } else {
                r.pullFrom(replicas.get(rnd.nextInt(replicas.size())));
            }
        }
        for (Replica r : replicas) {
            main.pullFrom(r);
        }
        List<Command> all = main.graph.weave();
        List<Command> everything = main.graph.missing(List.of());
        assertThat(everything).hasSize(main.graph.size());
        for (int trial = 0; trial < 20; trial++) {
            List<Address> known = new ArrayList<>();
            for (int k = rnd.nextInt(4); k > 0; k--) {
                known.add(everything.get(rnd.nextInt(everything.size())).address());
            }
            // Addresses the graph does not hold, or holds at another max cut, must change nothing.
            Address held = everything.get(rnd.nextInt(everything.size())).address();
            byte[] unknownId = new byte[32];
            rnd.nextBytes(unknownId);
            List<Address> withNoise = new ArrayList<>(known);
            withNoise.add(new Address(held.id(), held.maxCut() + 1 + rnd.nextInt(1000)));
            withNoise.add(new Address(CommandId.of(unknownId), rnd.nextInt(1000)));
            assertThat(main.graph.missing(withNoise)).isEqualTo(main.graph.missing(known));
            List<Command> got = main.graph.missing(known);
            Set<CommandId> expected = new HashSet<>();
            for (Command c : everything) {
                if (known.stream().noneMatch(k -> main.graph.isAncestorOrEqual(c.address(), k))) {
                    expected.add(c.id());
                }
            }
            assertThat(got).extracting(Command::id).as("seed %x trial %d", seed, trial).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected);
            Set<CommandId> sent = new HashSet<>();
            for (Command c : got) {
                for (Address p : c.parent().addresses()) {
                    assertThat(sent.contains(p.id()) || !expected.contains(p.id()))
                            .as("seed %x: parent %s of %s comes first", seed, p, c.id()).isTrue();
                }
                sent.add(c.id());
            }
        }
        assertThat(all).isNotEmpty();
        for (Replica r : replicas) {
            r.close();
        }
    }
}
