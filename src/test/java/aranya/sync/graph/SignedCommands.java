package aranya.sync.graph;

import java.util.List;
import java.util.Random;

/**
 * Test fixture: a small team graph of real signed commands in every shape a command takes
 * (init with a policy, basic priorities at both ends of their range, finalize, a merge, a
 * multi-byte and a longest kind, empty and large fields). Keys come from random, so a seed
 * gives the same commands every time.
 */
public final class SignedCommands {
    private SignedCommands() {}

    /** The commands, parents first. */
    public static List<Command> of(Random random) {
        DeviceKey founder = key(random);
        DeviceKey member = key(random);
        Command init = TeamMembersPolicy.createTeam(founder, List.of(member.publicKey()));
        Command note = Command.action(founder, init.address(), Priority.basic(1), "note", bytes(random, 20));
        Command finalize = Command.action(member, init.address(), Priority.FINALIZE, "ünïcødé ✓", Bytes.EMPTY);
        Command large = Command.action(founder, note.address(), Priority.basic(0xFFFF_FFFFL),
                "k".repeat(SignedContent.MAX_KIND_LENGTH), bytes(random, 2000));
        Command merge = Command.merge(finalize.address(), large.address());
        Command addMember = Command.action(member, merge.address(), Priority.basic(0), TeamMembersPolicy.ADD_MEMBER,
                Bytes.of(key(random).publicKey()));
        return List.of(init, note, finalize, large, merge, addMember);
    }

    private static DeviceKey key(Random random) {
        return DeviceKey.fromEncoded(bytes(random, 32).toByteArray());
    }

    private static Bytes bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return Bytes.of(bytes);
    }
}
