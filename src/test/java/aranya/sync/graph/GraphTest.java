package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class GraphTest {
    private final DeviceKey founder = DeviceKey.generate();
    private final DeviceKey member = DeviceKey.generate();
    private final DeviceKey outsider = DeviceKey.generate();

    private static void assertFails(SyncError error, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    @Test
    void teamGraphIdIsTheInitCommandsId() throws Exception {
        try (Replica r = Replica.found(founder)) {
            Command init = r.graph.weave().get(0);
            assertThat(r.graph.id()).isEqualTo(GraphId.of(init.id()));
            assertThat(init.priority()).isEqualTo(Priority.INIT);
            assertThat(r.graph.heads()).containsExactly(new Address(init.id(), 0));
        }
    }

    @Test
    void appendedCommandsWeaveInOrderAndSurviveReopen() throws Exception {
        try (Replica r = Replica.found(founder)) {
            Command one = r.append(founder, "one");
            Command two = r.append(founder, "two");
            assertThat(two.maxCut()).isEqualTo(2);
            assertThat(r.graph.weave()).extracting(Command::id).endsWith(one.id(), two.id());
            try (Graph reopened = r.reopen()) {
                assertThat(reopened.weave()).isEqualTo(r.graph.weave());
                assertThat(reopened.heads()).isEqualTo(r.graph.heads());
            }
        }
    }

    @Test
    void duplicatesAreSkipped() throws Exception {
        try (Replica a = Replica.found(founder)) {
            Command one = a.append(founder, "one");
            int size = a.graph.size();
            AddResult again = a.graph.addCommands(List.of(one, one));
            assertThat(again.added()).isZero();
            assertThat(a.graph.size()).isEqualTo(size);
        }
    }

    @Test
    void unknownParentFailsTheWholeBatchAndLeavesNothing() throws Exception {
        try (Replica a = Replica.found(founder); Replica b = Replica.empty(a.graph.id())) {
            List<Command> all = new ArrayList<>(List.of(a.graph.weave().get(0)));
            Command one = a.append(founder, "one");
            Command two = a.append(founder, "two");
            assertFails(SyncError.NO_SUCH_PARENT, () -> b.graph.addCommands(List.of(all.get(0), two)));
            assertThat(b.graph.isEmpty()).isTrue();
            assertThat(b.graph.addCommands(List.of(all.get(0), one, two)).added()).isEqualTo(3);
        }
    }

    @Test
    void aBadCommandAfterGoodOnesLeavesNothingVisibleOrStored() throws Exception {
        try (Replica a = Replica.found(founder); Replica b = Replica.empty(a.graph.id())) {
            Command init = a.graph.weave().get(0);
            b.graph.addCommands(List.of(init));
            Command one = a.append(founder, "one");
            Command two = a.append(founder, "two");
            Command forged = TestCommands.withId(a.append(founder, "three"), CommandId.of(new byte[32]));
            assertFails(SyncError.INVALID_COMMAND_ID, () -> b.graph.addCommands(List.of(one, two, forged)));
            assertThat(b.graph.contains(one.id())).isFalse();
            assertThat(b.graph.heads()).containsExactly(init.address());
            try (Graph reopened = b.reopen()) {
                assertThat(reopened.size()).isEqualTo(1);
            }
        }
    }

    @Test
    void rejectsWrongIdBadSignatureAndBadMergeId() throws Exception {
        try (Replica a = Replica.found(founder); Replica b = Replica.empty(a.graph.id())) {
            b.graph.addCommands(List.of(a.graph.weave().get(0)));
            Command one = a.append(founder, "one");
            assertFails(SyncError.INVALID_COMMAND_ID, () -> b.graph.addCommands(List.of(TestCommands.withId(one, TestDag.idOf("x")))));

            // A signature that does not verify, under an id that does match it.
            Command badSignature = TestCommands.withBadSignature(one);
            assertFails(SyncError.BAD_SIGNATURE, () -> b.graph.addCommands(List.of(badSignature)));

            Command merge = Command.merge(one.address(), a.graph.weave().get(0).address());
            assertFails(SyncError.BAD_MERGE_ID, () -> b.graph.addCommands(List.of(one, TestCommands.withId(merge, TestDag.idOf("m")))));
            assertThat(b.graph.size()).isEqualTo(1);
        }
    }

    @Test
    void rejectsAnInitCommandOfAnotherGraph() throws Exception {
        try (Replica a = Replica.found(founder); Replica other = Replica.found(member);
                Replica b = Replica.empty(a.graph.id())) {
            Command foreignInit = other.graph.weave().get(0);
            assertFails(SyncError.WRONG_GRAPH, () -> b.graph.addCommands(List.of(foreignInit)));
            b.graph.addCommands(List.of(a.graph.weave().get(0)));
            assertFails(SyncError.WRONG_GRAPH, () -> b.graph.addCommands(List.of(foreignInit)));
        }
    }

    @Test
    void rejectsAParentMaxCutThatIsNotTheStoredOne() throws Exception {
        try (Replica a = Replica.found(founder); Replica b = Replica.empty(a.graph.id())) {
            Command init = a.graph.weave().get(0);
            Command lying = Command.action(founder, new Address(init.id(), 7), Priority.basic(1), "x", Bytes.EMPTY);
            assertFails(SyncError.MALFORMED, () -> b.graph.addCommands(List.of(init, lying)));
            assertThat(b.graph.isEmpty()).isTrue();
        }
    }

    @Test
    void policyAcceptsMembersOnlyWhereTheirGrantIsAnAncestor() throws Exception {
        try (Replica a = Replica.found(founder)) {
            assertFails(SyncError.POLICY_REJECTED, () -> a.append(outsider, "hello"));
            Address beforeGrant = a.graph.heads().getFirst();
            a.graph.append(founder, Priority.basic(1), TeamMembersPolicy.ADD_MEMBER, Bytes.of(outsider.publicKey()));
            Command accepted = a.append(outsider, "hello");
            assertThat(a.graph.contains(accepted.id())).isTrue();

            // The same author on a branch that does not contain the grant is refused.
            Command sideways = Command.action(outsider, beforeGrant, Priority.basic(1), "side", Bytes.EMPTY);
            assertFails(SyncError.POLICY_REJECTED, () -> a.graph.addCommands(List.of(sideways)));
        }
    }

    @Test
    void whatARolledBackBatchTaughtTheAncestryMemoIsForgotten() throws Exception {
        try (Replica a = Replica.found(founder)) {
            Address beforeGrant = a.append(founder, "b0").address();
            Command grant = a.graph.append(founder, Priority.basic(1), TeamMembersPolicy.ADD_MEMBER, Bytes.of(outsider.publicKey()));
            a.append(founder, "after grant");
            // x1, x2 start a new segment below the grant; checking x2 teaches the memo that
            // this segment descends from the grant. A command with an unknown parent then fails
            // the batch during insertion, after that check, and rolls it all back.
            Command x1 = Command.action(outsider, grant.address(), Priority.basic(1), "x1", Bytes.EMPTY);
            Command x2 = Command.action(outsider, x1.address(), Priority.basic(1), "x2", Bytes.EMPTY);
            Command orphan = Command.action(outsider, new Address(TestDag.idOf("nowhere"), 3), Priority.basic(1), "x3", Bytes.EMPTY);
            assertFails(SyncError.NO_SUCH_PARENT, () -> a.graph.addCommands(List.of(x1, x2, orphan)));
            // A branch from before the grant reuses that segment number; its outsider command must be refused.
            List<Command> branch = new ArrayList<>();
            Address p = beforeGrant;
            for (int i = 0; i < 5; i++) {
                Command z = Command.action(founder, p, Priority.basic(1), "z" + i, Bytes.EMPTY);
                branch.add(z);
                p = z.address();
            }
            branch.add(Command.action(outsider, p, Priority.basic(1), "y", Bytes.EMPTY));
            assertFails(SyncError.POLICY_REJECTED, () -> a.graph.addCommands(branch));
            assertThat(a.graph.addCommands(List.of(x1, x2)).added()).isEqualTo(2);
        }
    }

    @Test
    void foundingMembersMayWriteFromTheStart() throws Exception {
        try (Replica a = Replica.found(founder, member)) {
            assertThat(a.graph.contains(a.append(member, "hi").id())).isTrue();
        }
    }

    @Test
    void concurrentFinalizeCommandsAreRefused() throws Exception {
        try (Replica a = Replica.found(founder); Replica b = Replica.empty(a.graph.id())) {
            Command init = a.graph.weave().get(0);
            b.graph.addCommands(List.of(init));
            a.graph.append(founder, Priority.FINALIZE, "finalize", Bytes.EMPTY);
            Command theirs = b.graph.append(founder, Priority.FINALIZE, "finalize", Bytes.of(new byte[] {1}));
            assertFails(SyncError.PARALLEL_FINALIZE, () -> a.graph.addCommands(List.of(theirs)));
            // Sequential finalize commands are fine.
            assertThat(a.graph.append(founder, Priority.FINALIZE, "finalize", Bytes.of(new byte[] {2})).priority())
                    .isEqualTo(Priority.FINALIZE);
        }
    }

    @Test
    void receivingNeverMergesAndAppendingMergesIdenticallyEverywhere() throws Exception {
        try (Replica a = Replica.found(founder, member); Replica b = Replica.copyOf(a)) {
            a.append(founder, "a1");
            Command a2 = a.append(founder, "a2");
            Command b1 = b.append(member, "b1");
            int sizeBefore = a.graph.size();
            AddResult atA = a.pullFrom(b);
            assertThat(atA.added()).isEqualTo(1);
            assertThat(a.graph.size()).isEqualTo(sizeBefore + 1); // no merge command
            assertThat(atA.heads()).containsExactlyInAnyOrder(a2.address(), b1.address()).isSorted();
            AddResult atB = b.pullFrom(a);
            assertThat(atB.heads()).isEqualTo(atA.heads());
            assertThat(b.graph.syntheticHead()).isEqualTo(a.graph.syntheticHead());
            assertThat(b.graph.weave()).isEqualTo(a.graph.weave());
            assertThat(a.graph.missing(b.graph.sample(List.of(), 100))).isEmpty();

            Address synthetic = a.graph.syntheticHead().orElseThrow();
            Command fromA = a.append(founder, "after");
            Command fromB = b.append(member, "after");
            Command mergeAtA = a.graph.command(synthetic.id()).orElseThrow();
            assertThat(mergeAtA.isMerge()).isTrue();
            assertThat(b.graph.command(synthetic.id())).hasValue(mergeAtA); // byte-identical
            assertThat(fromA.parent().addresses()).containsExactly(synthetic);
            assertThat(fromB.parent().addresses()).containsExactly(synthetic);
            assertThat(a.graph.heads()).containsExactly(fromA.address());
        }
    }

    @Test
    void appendFoldsHeadsPairwiseInIdOrderAndKeepsTheBraid() throws Exception {
        try (Replica a = Replica.found(founder, member); Replica b = Replica.copyOf(a); Replica c = Replica.copyOf(a)) {
            List<Address> tips = new ArrayList<>(List.of(a.append(founder, "a").address(),
                    b.append(member, "b").address(), c.append(member, "c").address()));
            a.pullFrom(b);
            a.pullFrom(c);
            tips.sort(java.util.Comparator.comparing(Address::id));
            assertThat(a.graph.heads()).isEqualTo(tips);
            List<Command> braidBefore = a.graph.weave();

            int size = a.graph.size();
            Command on = a.append(founder, "on top");
            // Queue [t0, t1, t2]: merge the front two, queue the merge at the back, repeat.
            Command m1 = Command.merge(tips.get(0), tips.get(1));
            Command m2 = Command.merge(tips.get(2), m1.address());
            assertThat(a.graph.command(m1.id())).hasValue(m1);
            assertThat(a.graph.command(m2.id())).hasValue(m2);
            assertThat(on.parent().addresses()).containsExactly(m2.address());
            assertThat(a.graph.size()).isEqualTo(size + 3);
            List<Command> braidAfter = a.graph.weave();
            assertThat(braidAfter.subList(0, braidAfter.size() - 1)).isEqualTo(braidBefore);
        }
    }

    @Test
    void theHeadSetSurvivesReopen() throws Exception {
        try (Replica a = Replica.found(founder, member); Replica b = Replica.copyOf(a)) {
            a.append(founder, "a");
            b.append(member, "b");
            a.pullFrom(b);
            assertThat(a.graph.heads()).hasSize(2);
            try (Graph reopened = a.reopen()) {
                assertThat(reopened.heads()).isEqualTo(a.graph.heads());
                assertThat(reopened.syntheticHead()).isEqualTo(a.graph.syntheticHead());
                assertThat(reopened.weave()).isEqualTo(a.graph.weave());
            }
        }
    }

    @Test
    void aMergeMadeEagerlyByAnOlderPeerIsAccepted() throws Exception {
        try (Replica a = Replica.found(founder, member); Replica b = Replica.copyOf(a); Replica c = Replica.copyOf(a)) {
            Command fromA = a.append(founder, "a");
            Command fromB = b.append(member, "b");
            // An eager peer merged right after receiving, so its merge has no command on top.
            Command eager = Command.merge(fromA.address(), fromB.address());
            assertThat(c.graph.addCommands(List.of(fromA, fromB, eager)).heads()).containsExactly(eager.address());
            a.pullFrom(c);
            assertThat(a.graph.heads()).containsExactly(eager.address());
            assertThat(a.graph.weave()).isEqualTo(c.graph.weave());
        }
    }

    @Test
    void storageFailureLeavesNothingVisibleAndTheGraphUsable() throws Exception {
        FailingStore store = new FailingStore(new aranya.sync.graph.storage.InMemoryStorageProvider());
        Command init = TeamMembersPolicy.createTeam(founder, List.of());
        store.open(GraphId.of(init.id()));
        try (Graph g = Graph.open(store.store, new TeamMembersPolicy())) {
            g.addCommands(List.of(init));
            store.failNext = true;
            assertFails(SyncError.STORAGE, () -> g.append(founder, Priority.basic(1), "x", Bytes.EMPTY));
            assertThat(g.size()).isEqualTo(1);
            assertThat(g.append(founder, Priority.basic(1), "y", Bytes.EMPTY).maxCut()).isEqualTo(1);
        }
    }

    @Test
    void ancestryQueries() throws Exception {
        try (Replica a = Replica.found(founder)) {
            Address init = a.graph.heads().getFirst();
            Command one = a.append(founder, "one");
            assertThat(a.graph.isAncestorOrEqual(init, one.address())).isTrue();
            assertThat(a.graph.isAncestorOrEqual(one.address(), init)).isFalse();
            assertThat(a.graph.isAncestorOrEqual(one.address(), one.address())).isTrue();
            assertThat(a.graph.isAncestorOrEqual(new Address(one.id(), 5), one.address())).isFalse();
            assertThat(a.graph.locate(one.id())).contains(one.address());
        }
    }

    /** A provider whose store can be told to fail its next append. */
    private static final class FailingStore {
        private final StorageProvider inner;
        GraphStore store;
        volatile boolean failNext;

        FailingStore(StorageProvider inner) {
            this.inner = inner;
        }

        void open(GraphId id) throws IOException {
            GraphStore real = inner.open(id);
            store = new ForwardingStore(real) {
                @Override
                public StoredBatch append(List<Command> batch) throws IOException {
                    if (failNext) {
                        failNext = false;
                        throw new IOException("disk full (simulated)");
                    }
                    return super.append(batch);
                }
            };
        }
    }
}
