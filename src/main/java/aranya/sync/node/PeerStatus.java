package aranya.sync.node;

import aranya.sync.SyncException;
import aranya.sync.graph.GraphId;
import aranya.sync.peers.PeerAddress;
import aranya.sync.peers.SyncPeerConfig;
import aranya.sync.protocol.SyncSummary;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node knows of syncing one team with one peer: whether it is scheduled, and how its
 * last sync (scheduled, after a hello, or {@code syncNow}) ended.
 *
 * @param peer the peer
 * @param team the team
 * @param config the peer's configuration if it was added with {@code addSyncPeer}; empty for
 *     a peer that was only synced with once
 * @param lastSync when the last sync with this peer ended; empty if none has since the node opened
 * @param lastSummary what the last sync moved, if it succeeded
 * @param lastFailure why the last sync failed, if it did
 * @param failuresInARow how many syncs in a row have failed (0 after a success)
 */
public record PeerStatus(PeerAddress peer, GraphId team, Optional<SyncPeerConfig> config, Optional<Instant> lastSync,
        Optional<SyncSummary> lastSummary, Optional<SyncException> lastFailure, int failuresInARow) {
    /** Checks that nothing is null. */
    public PeerStatus {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(team, "team");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(lastSync, "lastSync");
        Objects.requireNonNull(lastSummary, "lastSummary");
        Objects.requireNonNull(lastFailure, "lastFailure");
    }
}
