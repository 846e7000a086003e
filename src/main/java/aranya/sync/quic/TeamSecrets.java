package aranya.sync.quic;

import aranya.sync.graph.GraphId;
import java.util.Optional;

/** Where a listener looks up the secret of a team a peer wants to authenticate for. */
@FunctionalInterface
public interface TeamSecrets {
    /** The team's 32-byte secret, or empty if this node is not in that team. */
    Optional<byte[]> secretFor(GraphId team);
}
