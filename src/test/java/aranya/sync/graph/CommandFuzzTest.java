package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.Fuzzer;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.wire.MessageCodec;
import aranya.sync.wire.SessionId;
import aranya.sync.wire.SyncResponseMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing ({@link Fuzzer}) of command bodies: the signed-content decoder, and
 * received commands as the requester handles them (decoded from a {@code SyncResponse}, then
 * verified). Besides decoding cleanly, a mutated command must never verify unless it is an
 * authentic one: only the parents' max cuts, which are derived and checked by the graph, and
 * the order of a merge's parents may differ. Inputs per decoder: {@code -Daranya.fuzz.inputs=N}.
 */
class CommandFuzzTest {
    /** What {@link Command#verify()} may refuse a damaged command with. */
    private static final Set<SyncError> VERIFY_ERRORS =
            Set.of(SyncError.MALFORMED, SyncError.INVALID_COMMAND_ID, SyncError.BAD_SIGNATURE, SyncError.BAD_MERGE_ID);

    private final long seed = Fuzzer.seed();
    private final Random random = new Random(seed);
    private final List<Command> signed = SignedCommands.of(random);

    @Test
    void signedContent() {
        List<byte[]> seeds = signed.stream().filter(c -> !c.isMerge()).map(c -> c.payload().toByteArray()).collect(Collectors.toList());
        Fuzzer.Report report = new Fuzzer("SignedContent", seed, seeds).run(CommandFuzzTest::decodesToItself);
        System.out.println(report);
        assertThat(report.refused()).isPositive();
    }

    @Test
    void receivedCommandsVerified() {
        Map<CommandId, Command> authentic = signed.stream().collect(Collectors.toMap(Command::id, Function.identity()));
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<Command> some = new ArrayList<>(signed);
            some.removeIf(c -> random.nextInt(3) == 0);
            seeds.add(MessageCodec.encode(new SyncResponseMessage.SyncResponse(new SessionId(0, i), i, some)));
        }
        Fuzzer.Report report = new Fuzzer("received commands", seed, seeds).run(input -> verifiesOnlyAuthentic(input, authentic));
        System.out.println(report);
        assertThat(report.refused()).isPositive();
        assertThat(report.decoded()).isPositive();
    }

    @Test
    void aFieldsLengthClaimingMoreThanTheHeapIsRefusedWithoutAllocating() throws Throwable {
        byte[] payload = signed.get(1).payload().toByteArray();
        int fieldsLengthAt = 1 + 32 + 1 + "note".length();
        for (String claim : List.of("7fffffff", "ffffffff", "80000000")) {
            byte[] input = payload.clone();
            System.arraycopy(HexFormat.of().parseHex(claim), 0, input, fieldsLengthAt, 4);
            Fuzzer.assertRefusedWithoutAllocatingTheClaim(CommandFuzzTest::decodesToItself, input);
        }
    }

    /** The input is refused as malformed, or decodes to content whose encoding is the input. */
    private static Fuzzer.Outcome decodesToItself(byte[] input) throws SyncException {
        SignedContent content;
        try {
            content = SignedContent.decode(Bytes.of(input));
        } catch (SyncException e) {
            if (e.error() != SyncError.MALFORMED) {
                throw e;
            }
            return Fuzzer.Outcome.REFUSED;
        }
        if (!content.encode().equals(Bytes.of(input))) {
            throw new AssertionError(content + " re-encodes to " + content.encode());
        }
        return Fuzzer.Outcome.DECODED;
    }

    private static Fuzzer.Outcome verifiesOnlyAuthentic(byte[] input, Map<CommandId, Command> authentic) throws SyncException {
        SyncResponseMessage message;
        try {
            message = MessageCodec.decodeSyncResponse(input, 0, input.length);
        } catch (SyncException e) {
            if (e.error() != SyncError.MALFORMED) {
                throw e;
            }
            return Fuzzer.Outcome.REFUSED;
        }
        if (!(message instanceof SyncResponseMessage.SyncResponse response)) {
            return Fuzzer.Outcome.DECODED; // no commands to verify
        }
        for (Command command : response.commands()) {
            try {
                command.verify();
            } catch (SyncException e) {
                if (!VERIFY_ERRORS.contains(e.error())) {
                    throw e;
                }
                return Fuzzer.Outcome.REFUSED;
            }
            Command original = authentic.get(command.id());
            if (original == null || !original.priority().equals(command.priority()) || !original.policy().equals(command.policy())
                    || !original.payload().equals(command.payload()) || !parentIds(original).equals(parentIds(command))) {
                throw new AssertionError("a mutated command verified: " + command + ", authentic: " + original);
            }
        }
        return Fuzzer.Outcome.DECODED;
    }

    private static Set<CommandId> parentIds(Command command) {
        Set<CommandId> ids = new HashSet<>();
        command.parent().addresses().forEach(a -> ids.add(a.id()));
        return ids;
    }
}
