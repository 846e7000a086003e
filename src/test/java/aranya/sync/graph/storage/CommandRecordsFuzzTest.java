package aranya.sync.graph.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.Fuzzer;
import aranya.sync.graph.Command;
import aranya.sync.graph.SignedCommands;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing ({@link Fuzzer}) of the stored batch format. A record reaches this decoder
 * only after its checksum matched, so damage here is corruption; still, it must end in the
 * decoder's documented {@link IOException}, never another exception or an allocation sized by
 * a corrupt length. Inputs: {@code -Daranya.fuzz.inputs=N}.
 */
class CommandRecordsFuzzTest {
    private final long seed = Fuzzer.seed();
    private final Random random = new Random(seed);

    @Test
    void storedBatches() {
        List<Command> signed = SignedCommands.of(random);
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(CommandRecords.encode(List.of()));
        for (int i = 0; i < 40; i++) {
            List<Command> batch = new ArrayList<>(signed);
            batch.removeIf(c -> random.nextInt(3) == 0);
            seeds.add(CommandRecords.encode(batch));
        }
        Fuzzer.Report report = new Fuzzer("stored batches", seed, seeds).run(CommandRecordsFuzzTest::decodesToItself);
        System.out.println(report);
        assertThat(report.refused()).isPositive();
        assertThat(report.decoded()).isPositive();
    }

    @Test
    void everyLengthClaimingMoreThanTheHeapIsRefusedWithoutAllocating() throws Throwable {
        Command init = SignedCommands.of(random).get(0);
        byte[] one = CommandRecords.encode(List.of(init));
        int policyLengthAt = 4 + 32 + 1 + 1; // count, id, priority rank INIT, no parents
        int payloadLengthAt = policyLengthAt + 4 + init.policy().length();
        for (String claim : List.of("7fffffff", "ffffffff", "80000000", "7ffffff0")) {
            byte[] hugeCount = HexFormat.of().parseHex(claim);
            Fuzzer.assertRefusedWithoutAllocatingTheClaim(CommandRecordsFuzzTest::decodesToItself, hugeCount);
            for (int at : new int[] {policyLengthAt, payloadLengthAt}) {
                byte[] input = one.clone();
                System.arraycopy(hugeCount, 0, input, at, 4);
                Fuzzer.assertRefusedWithoutAllocatingTheClaim(CommandRecordsFuzzTest::decodesToItself, input);
            }
        }
    }

    /** Found by the fuzzer's length claims: a count of 2^31 or more with nothing after it decoded as an empty batch. */
    @Test
    void aCountWithTheTopBitSetIsCorruptionNotAnEmptyBatch() {
        for (String count : List.of("80000000", "ffffffff")) {
            assertThatThrownBy(() -> CommandRecords.decode(ByteBuffer.wrap(HexFormat.of().parseHex(count)), c -> { }))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(Long.toString(Long.parseLong(count, 16)));
        }
    }

    /** The input is refused as corrupt, or decodes to a batch whose encoding is the input and whose start is plausible. */
    private static Fuzzer.Outcome decodesToItself(byte[] input) {
        List<Command> batch = new ArrayList<>();
        try {
            CommandRecords.decode(ByteBuffer.wrap(input), batch::add);
        } catch (IOException e) {
            return Fuzzer.Outcome.REFUSED;
        }
        byte[] reencoded = CommandRecords.encode(batch);
        if (!Arrays.equals(reencoded, input)) {
            throw new AssertionError("decoded as " + batch + ", which re-encodes to " + HexFormat.of().formatHex(reencoded));
        }
        // The log's search for intact records skips bodies that fail this: no batch may.
        if (!CommandRecords.plausibleStart(ByteBuffer.wrap(input), input.length)) {
            throw new AssertionError("a batch that decodes fails plausibleStart: " + HexFormat.of().formatHex(input));
        }
        return Fuzzer.Outcome.DECODED;
    }
}
