package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.graph.storage.InMemoryStorageProvider;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading one's own data back: a command read from a graph tells its author, kind and fields. */
class CommandContentTest {
    @Test
    void aCommandReadBackGivesItsAuthorKindAndFieldsAndAMergeGivesNone() throws Exception {
        DeviceKey alice = DeviceKey.generate();
        DeviceKey bob = DeviceKey.generate();
        Command init = TeamMembersPolicy.createTeam(alice, List.of(bob.publicKey()));
        try (Graph a = Graph.open(new InMemoryStorageProvider().open(GraphId.of(init.id())), new TeamMembersPolicy());
                Graph b = Graph.open(new InMemoryStorageProvider().open(GraphId.of(init.id())), new TeamMembersPolicy())) {
            a.addCommands(List.of(init));
            b.addCommands(List.of(init));
            a.append(alice, Priority.basic(1), "note", Bytes.of("from alice".getBytes(StandardCharsets.UTF_8)));
            b.append(bob, Priority.basic(1), "note", Bytes.of("from bob".getBytes(StandardCharsets.UTF_8)));
            b.addCommands(a.weave());
            List<Address> heads = b.heads();
            assertThat(heads).hasSize(2);
            assertThat(Command.merge(heads.get(0), heads.get(1)).content()).isEmpty();

            List<Command> woven = b.weave();
            Command fromAlice = woven.stream().filter(c -> c.content().map(s -> s.fields().equals(Bytes.of("from alice".getBytes(StandardCharsets.UTF_8)))).orElse(false))
                    .findFirst().orElseThrow();
            SignedContent content = fromAlice.content().orElseThrow();
            assertThat(content.kind()).isEqualTo("note");
            assertThat(content.authorPublicKey()).isEqualTo(Bytes.of(alice.publicKey()));
            assertThat(content.authorKeyId()).isEqualTo(alice.keyId());
            assertThat(woven.get(0).content().orElseThrow().kind()).isEqualTo(TeamMembersPolicy.CREATE_TEAM);
            assertThat(woven).filteredOn(c -> !c.isMerge()).allSatisfy(c -> assertThat(c.content()).isEqualTo(c.verify()));
        }
    }

    @Test
    void aPayloadThatDoesNotDecodeIsAnIllegalState() {
        Command init = TeamMembersPolicy.createTeam(DeviceKey.generate(), List.of());
        Command broken = new Command(init.id(), init.priority(), init.parent(), init.policy(), Bytes.of(new byte[] {1, 2, 3}));
        assertThatThrownBy(broken::content).isInstanceOf(IllegalStateException.class).hasMessageContaining(init.id().toString());
    }
}
