package aranya.sync.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Test helper: signed chains, and forgeries that a graph must refuse, for tests in any
 * package (building a signature under a matching id needs this package's hashing).
 */
public final class TestCommands {
    private TestCommands() {}

    /** A chain of count commands signed by author on top of parent, with random payloads of payloadBytes (at least 8). */
    public static List<Command> chain(DeviceKey author, Address parent, int count, int payloadBytes) {
        List<Command> out = new ArrayList<>(count);
        Address p = parent;
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[Math.max(payloadBytes, 8)];
            ThreadLocalRandom.current().nextBytes(payload); // distinct commands on every peer
            Command c = Command.action(author, p, Priority.basic(5), "t", Bytes.of(payload));
            out.add(c);
            p = c.address();
        }
        return out;
    }

    /** c under another id: its content no longer hashes to its id. */
    public static Command withId(Command c, CommandId id) {
        return new Command(id, c.priority(), c.parent(), c.policy(), c.payload());
    }

    /** c with one bit of its signature flipped, under the id that matches the flipped signature. */
    public static Command withBadSignature(Command c) throws aranya.sync.SyncException {
        SignedContent content = c.verify().orElseThrow(() -> new IllegalArgumentException("a merge has no signature: " + c));
        byte[] badSignature = content.signature().toByteArray();
        badSignature[0] ^= 1;
        SignedContent forged = new SignedContent(content.authorPublicKey(), content.kind(), content.fields(), Bytes.of(badSignature));
        CommandId parent = c.parent() instanceof Prior.Single(Address p) ? p.id() : CommandId.ZERO;
        byte[] digest = Command.digest(content.authorKeyId(), content.kind(), parent, c.priority(), c.policy(), content.fields());
        CommandId id = CommandId.of(TupleHash.hash("PolicyCommandId-v1", digest, badSignature));
        return new Command(id, c.priority(), c.parent(), c.policy(), forged.encode());
    }

    /** An id no command has. */
    public static CommandId randomId() {
        byte[] id = new byte[CommandId.LENGTH];
        ThreadLocalRandom.current().nextBytes(id);
        return CommandId.of(id);
    }

    /** A command on top of parent whose payload is one byte over {@link Command#MAX_CONTENT_BYTES} (under a random id). */
    public static Command oversized(Address parent) {
        return new Command(randomId(), Priority.basic(5), new Prior.Single(parent), Bytes.EMPTY,
                Bytes.of(new byte[Command.MAX_CONTENT_BYTES + 1]));
    }
}
