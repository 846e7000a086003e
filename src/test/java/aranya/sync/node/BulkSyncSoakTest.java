package aranya.sync.node;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.SyncPeerConfig;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bulk syncs back to back, each a fresh peer on a fresh connection pulling one 10,000-command
 * graph: the load under which kwik's lost send wake-up stalled streams (README, "kwik 0.10.8 weaknesses")
 * before the transport kicked them. A stall shows as a session ending in TIMEOUT. The default
 * run does {@value #DEFAULT_ROUNDS} rounds; {@code -Daranya.soak=true} does {@value #SOAK_ROUNDS}.
 */
class BulkSyncSoakTest {
    static final int DEFAULT_ROUNDS = 3;
    static final int SOAK_ROUNDS = 100;
    private static final int COMMANDS = 10_000;
    /** Sessions per round: a stalled session is counted and the round tried again, so one stall does not hide the rest. */
    private static final int MAX_SESSIONS_PER_ROUND = 3;

    @TempDir
    Path dir;

    @Test
    void freshPeersPullTenThousandCommandsRoundAfterRoundWithoutAStall() throws Exception {
        int rounds = Boolean.getBoolean("aranya.soak") ? SOAK_ROUNDS : DEFAULT_ROUNDS;
        try (Nodes nodes = new Nodes(dir)) {
            SyncNode server = nodes.server();
            GraphId team = Nodes.team(server);
            Nodes.write(server, team, COMMANDS); // once: signing 10,000 commands takes longer than pulling them
            long start = System.nanoTime();
            int sessions = 0;
            int stalls = 0;
            for (int round = 0; round < rounds; round++) {
                // Odd rounds bidirectional: the server then also reads the client's (empty) answer before finishing.
                Optional<SyncPeerConfig> mode = round % 2 == 0 ? Optional.empty() : Nodes.BIDI;
                try (SyncNode fresh = nodes.builder().open()) {
                    fresh.joinTeam(server.credentials(team));
                    boolean converged = false;
                    for (int attempt = 0; attempt < MAX_SESSIONS_PER_ROUND && !converged; attempt++) {
                        sessions++;
                        try {
                            converged = !fresh.syncNow(Nodes.at(server), team, mode).remaining();
                        } catch (SyncException e) {
                            if (e.error() != SyncError.TIMEOUT) {
                                throw e;
                            }
                            stalls++;
                        }
                    }
                    assertThat(converged).as("round %d converged", round).isTrue();
                    assertThat(fresh.heads(team)).as("round %d", round).isEqualTo(server.heads(team));
                    assertThat(fresh.size(team)).as("round %d", round).isEqualTo(COMMANDS + 1);
                }
            }
            System.out.printf("bulk sync soak: %d rounds of %,d commands, %d sessions, %d stalls, %d ms%n", rounds, COMMANDS,
                    sessions, stalls, (System.nanoTime() - start) / 1_000_000);
            assertThat(stalls).isZero();
        }
    }
}
