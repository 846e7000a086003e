package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.LogRecords;
import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Command;
import aranya.sync.graph.GraphId;
import aranya.sync.graph.storage.FileStorageProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What opening a node checks in its data directory: every key, identity and secret file
 * (length, content, owner-only permissions) and every graph log, each failure a STORAGE error
 * naming the file and what is wrong; stray files in {@code teams/} are ignored.
 */
class DataDirectoryTest {
    @TempDir
    Path dir;

    private GraphId team;
    private List<Command> commands;

    /** A node with one team of 13 batches (init and 12 appends), closed. */
    @BeforeEach
    void makeNode() throws Exception {
        try (SyncNode node = SyncNode.builder(dir).open()) {
            team = node.createTeam(List.of()).team();
            for (int i = 0; i < 12; i++) {
                node.append(team, "note", ("note " + i).getBytes());
            }
            commands = node.commands(team);
        }
    }

    private Path secret() {
        return dir.resolve("teams").resolve(team.toHex() + ".secret");
    }

    private static void assertRefused(ThrowingCallable open, String... messageParts) {
        assertThatThrownBy(open).isInstanceOfSatisfying(SyncException.class, e -> {
            assertThat(e.error()).isEqualTo(SyncError.STORAGE);
            assertThat(e.getMessage()).contains(messageParts);
        });
    }

    private void assertOpens() throws Exception {
        try (SyncNode node = SyncNode.builder(dir).open()) {
            assertThat(node.teams()).containsExactly(team);
            assertThat(node.commands(team)).isEqualTo(commands);
        }
    }

    @Test
    void aTeamSecretCutShortIsRefusedNamingTheFile() throws Exception {
        byte[] full = Files.readAllBytes(secret());
        for (int length : new int[] {16, 0, 31, 33}) {
            Files.write(secret(), Arrays.copyOf(full, length));
            assertRefused(() -> SyncNode.builder(dir).open(), secret() + ": team secret is " + length + " bytes, expected 32");
        }
        Files.write(secret(), full);
        assertOpens();
    }

    @Test
    void aDamagedDeviceKeyOrIdentityIsRefusedNamingTheFile() throws Exception {
        Path key = dir.resolve("device.key");
        byte[] fullKey = Files.readAllBytes(key);
        for (int length : new int[] {16, 0}) {
            Files.write(key, Arrays.copyOf(fullKey, length));
            assertRefused(() -> SyncNode.builder(dir).open(), key + ": device key is " + length + " bytes, expected 32");
        }
        Files.write(key, fullKey);
        Path identity = dir.resolve("node.identity");
        byte[] fullIdentity = Files.readAllBytes(identity);
        for (int length : new int[] {fullIdentity.length / 2, 0}) {
            Files.write(identity, Arrays.copyOf(fullIdentity, length));
            assertRefused(() -> SyncNode.builder(dir).open(), identity + ": QUIC identity is damaged");
        }
        Files.write(identity, fullIdentity);
        assertOpens();
    }

    @Test
    void keyAndSecretFilesOthersCanAccessAreRefusedUnlessStrictModesAreOff() throws Exception {
        for (Path file : List.of(dir.resolve("device.key"), dir.resolve("node.identity"), secret())) {
            for (String mode : List.of("rw-r-----", "rw----r--", "rw--w----")) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
                assertRefused(() -> SyncNode.builder(dir).open(), file + ": ", "accessible to others than its owner (mode " + mode + ")", "chmod 600");
                try (SyncNode node = SyncNode.builder(dir).strictFileModes(false).open()) {
                    assertThat(node.commands(team)).isEqualTo(commands);
                }
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        assertOpens();
    }

    @Test
    void strayFilesInTeamsAreIgnored() throws Exception {
        Path teams = dir.resolve("teams");
        Files.writeString(teams.resolve("notes.txt"), "hello");
        Files.writeString(teams.resolve("abcde.secret"), "x");
        Files.write(teams.resolve(team.toHex().toUpperCase() + ".secret"), new byte[32]);
        Files.write(teams.resolve(team.toHex() + ".secret.tmp"), new byte[3]);
        Files.createDirectory(teams.resolve("backup"));
        assertOpens();
    }

    /** The log with a flipped byte in its second record; returns that record's offset. */
    private long damageSecondRecord(Path log) throws Exception {
        byte[] original = Files.readAllBytes(log);
        long secondRecord = 8 + 8 + (original[8] & 0xff) * (1L << 24) + (original[9] & 0xff) * (1L << 16) + (original[10] & 0xff) * 256 + (original[11] & 0xff);
        byte[] damaged = original.clone();
        damaged[(int) secondRecord + 20] ^= 0x01;
        Files.write(log, damaged);
        return secondRecord;
    }

    /** Repairs the directory: the log keeps its first batch, the rest is moved aside unchanged; the node opens and writes again. */
    private void assertRepairKeepsTheFirstBatch(Path log, long secondRecord, byte[] damaged) throws Exception {
        List<FileStorageProvider.Repair> repairs = SyncNode.repairGraphs(dir, Optional.empty());
        assertThat(repairs).hasSize(1);
        Path aside = repairs.get(0).movedTo().orElseThrow();
        assertThat(aside).isEqualTo(log.resolveSibling(log.getFileName() + ".damaged-at-" + secondRecord));
        assertThat(Files.readAllBytes(aside)).isEqualTo(Arrays.copyOfRange(damaged, (int) secondRecord, damaged.length));
        try (SyncNode node = SyncNode.builder(dir).open()) {
            assertThat(node.commands(team)).isEqualTo(commands.subList(0, 1));
            node.append(team, "note", "after repair".getBytes());
        }
        assertThat(SyncNode.repairGraphs(dir, Optional.of(team)).get(0).movedTo()).isEmpty();
    }

    /** Damage in the log's tail (here the whole log: its index checkpoint is gone, as after a crash that lost it) refuses the node. */
    @Test
    void aDamagedGraphLogRefusesTheNodeUntilRepaired() throws Exception {
        Path log = dir.resolve("graphs").resolve(team.toHex() + ".graph");
        Files.delete(log.resolveSibling(team.toHex() + ".index-state"));
        long secondRecord = damageSecondRecord(log);
        byte[] damaged = Files.readAllBytes(log);
        assertRefused(() -> SyncNode.builder(dir).open(), "team " + team.toHex() + ": " + log, "byte " + secondRecord, "aranya-sync repair");
        assertThat(Files.readAllBytes(log)).isEqualTo(damaged);
        assertRepairKeepsTheFirstBatch(log, secondRecord, damaged);
    }

    /**
     * Damage the index checkpoint covers does not stop the open: the log's background check finds
     * it, logs it (SEVERE), and from then on the team takes no command, until repaired.
     */
    @Test
    void damageTheSavedIndexCoversStopsWritesUntilRepaired() throws Exception {
        Path log = dir.resolve("graphs").resolve(team.toHex() + ".graph");
        long secondRecord = damageSecondRecord(log);
        byte[] damaged = Files.readAllBytes(log);
        try (LogRecords logged = LogRecords.of("aranya.sync.graph.storage");
                SyncNode node = SyncNode.builder(dir).open()) {
            String severe = LogRecords.text(logged.await(r -> r.getLevel() == Level.SEVERE, 1, Duration.ofSeconds(30)).get(0));
            assertThat(severe).contains(log.toString(), "byte " + secondRecord, "aranya-sync repair");
            assertRefused(() -> node.append(team, "note", "after the damage".getBytes()), log.toString(), "byte " + secondRecord, "aranya-sync repair");
        }
        assertThat(Files.readAllBytes(log)).isEqualTo(damaged);
        assertRepairKeepsTheFirstBatch(log, secondRecord, damaged);
    }

    @Test
    void repairNeedsADataDirectory() {
        assertThatThrownBy(() -> SyncNode.repairGraphs(dir.resolve("nothing"), Optional.empty()))
                .isInstanceOf(IOException.class).hasMessageContaining("nothing");
    }
}
