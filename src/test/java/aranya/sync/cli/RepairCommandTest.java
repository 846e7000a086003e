package aranya.sync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.node.SyncNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aranya-sync repair} end to end, as a user meets a damaged log: status fails, repair, status works. */
class RepairCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, List<String> out, List<String> err) {}

    private Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data", dir.toString()));
        int exit = Main.run(all.toArray(String[]::new), InputStream.nullInputStream(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8).lines().toList(), err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    /** A node with one team of four commands, one batch each, whose second batch has a flipped byte. */
    private record Damaged(String team, Path log, long second, byte[] bytes) {}

    private Damaged teamWithDamagedSecondBatch() throws Exception {
        assertThat(cli("init").exit()).isZero();
        String team = cli("team", "create").out().stream().filter(l -> l.startsWith("credentials")).findFirst().orElseThrow()
                .replaceFirst("credentials\\s*", "").substring(0, 64);
        Path log = dir.resolve("graphs").resolve(team + ".graph");
        long second = Files.size(log);
        for (int i = 0; i < 3; i++) {
            assertThat(cli("append", "note", "n" + i).exit()).isZero();
        }
        assertThat(cli("log").out()).hasSize(5).last().asString().startsWith("heads ["); // four commands, the heads
        byte[] damaged = Files.readAllBytes(log);
        damaged[(int) second + 30] ^= (byte) 0xff;
        Files.write(log, damaged);
        return new Damaged(team, log, second, damaged);
    }

    @Test
    void statusNamesTheDamageAndRepairKeepsWhatPrecedesIt() throws Exception {
        Damaged d = teamWithDamagedSecondBatch();
        String team = d.team();
        Path log = d.log();
        long second = d.second();
        byte[] damaged = d.bytes();
        // Without its index checkpoint (lost, say, in a crash before it was written back) the whole
        // log is the tail an open checks; with it, the damage is found by the background check.
        Files.delete(log.resolveSibling(team + ".index-state"));

        Run status = cli("status");
        assertThat(status.exit()).isEqualTo(1);
        assertThat(status.err()).hasSize(1);
        assertThat(status.err().get(0)).contains("STORAGE: team " + team + ": " + log, "record at byte " + second, "aranya-sync repair");

        // In this same process: had the failed open above kept the directory lock, repair would be refused.
        Run repair = cli("repair");
        assertThat(repair.exit()).isZero();
        Path aside = log.resolveSibling(log.getFileName() + ".damaged-at-" + second);
        assertThat(repair.out()).containsExactly(
                "team " + team + ": the record at byte " + second + " fails its checksum and an intact record follows at byte "
                        + (second + (damaged.length - second) / 3),
                "team " + team + ": kept the 1 batches before byte " + second + "; moved the " + (damaged.length - second)
                        + " bytes after them to " + aside);
        assertThat(Files.readAllBytes(aside)).isEqualTo(Arrays.copyOfRange(damaged, (int) second, damaged.length));

        Run after = cli("status");
        assertThat(after.exit()).isZero();
        assertThat(after.out()).anyMatch(l -> l.startsWith("team " + team + ": 1 commands"));
        assertThat(cli("repair", "--team", team).out()).containsExactly("team " + team + ": log intact (1 batches), nothing changed");
        assertThat(cli("repair", "--team", "xyz").exit()).isEqualTo(2);
    }

    /**
     * Damage in the part of the log the index checkpoint covers does not stop an open (a background
     * check finds it, after the command may have ended); repair, which checks the whole log,
     * finds it at once, and keeps the batches before it.
     */
    @Test
    void repairChecksTheWholeLogIncludingWhatTheCheckpointCovers() throws Exception {
        Damaged d = teamWithDamagedSecondBatch();
        String team = d.team();
        Path log = d.log();
        long second = d.second();
        byte[] damaged = d.bytes();

        assertThat(cli("status").exit()).as("the open reads only the tail after the index checkpoint").isZero();
        assertThat(Files.readAllBytes(log)).isEqualTo(damaged);
        Run repair = cli("repair", "--team", team);
        assertThat(repair.exit()).isZero();
        assertThat(repair.out()).hasSize(2).first().asString()
                .isEqualTo("team " + team + ": the record at byte " + second + " fails its checksum and an intact record follows at byte "
                        + (second + (damaged.length - second) / 3));
        assertThat(cli("status").out()).anyMatch(l -> l.startsWith("team " + team + ": 1 commands"));
    }

    @Test
    void repairIsRefusedWhileANodeHasTheDirectoryOpen() throws Exception {
        assertThat(cli("init").exit()).isZero();
        assertThat(cli("team", "create").exit()).isZero();
        try (SyncNode node = SyncNode.builder(dir).open()) {
            Run refused = cli("repair");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).singleElement().asString().contains("repair", dir.toString(), "already open");
            assertThat(node.teams()).hasSize(1);
        }
        assertThat(cli("repair").out()).singleElement().asString().endsWith("log intact (1 batches), nothing changed");
    }
}
