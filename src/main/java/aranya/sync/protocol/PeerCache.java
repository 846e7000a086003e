package aranya.sync.protocol;

import aranya.sync.graph.Address;
import aranya.sync.graph.Graph;
import aranya.sync.graph.GraphId;
import aranya.sync.wire.Limits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Commands each peer is known to hold, per graph: at most {@link Limits#PEER_HEAD_MAX}
 * addresses per (peer, graph), none an ancestor of another (Aranya's {@code PeerCache}).
 * The requester adds what it received from a peer; the responder adds what a peer's sample
 * named. A requester puts these first in its sample, so the responder finds a recent common
 * point even when the rest of the sample is unknown to it. Kept in memory only, like Aranya's.
 */
public final class PeerCache {
    private record Key(String peer, GraphId graph) {}

    private final Map<Key, List<Address>> heads = new ConcurrentHashMap<>();

    /** An empty cache. */
    public PeerCache() {
    }

    /**
     * {@return the addresses peer is known to hold in graph, newest first}
     *
     * @param peer the peer's name ({@link MessageStream#peer()})
     * @param graph the graph
     */
    public List<Address> heads(String peer, GraphId graph) {
        return heads.getOrDefault(new Key(peer, graph), List.of());
    }

    /**
     * Records that peer holds these commands of graph (all of which graph must hold too).
     * Keeps only the addresses that no other recorded address descends from, newest first.
     *
     * @param peer the peer's name ({@link MessageStream#peer()})
     * @param graph the graph
     * @param held addresses the peer holds
     */
    public void update(String peer, Graph graph, Collection<Address> held) {
        if (held.isEmpty()) {
            return;
        }
        heads.compute(new Key(peer, graph.id()), (k, old) -> {
            List<Address> candidates = new ArrayList<>(old == null ? List.of() : old);
            candidates.addAll(held);
            return graph.newest(candidates, Limits.PEER_HEAD_MAX);
        });
    }

    /**
     * Forgets everything about peer, for example when it is removed.
     *
     * @param peer the peer's name ({@link MessageStream#peer()})
     */
    public void forget(String peer) {
        heads.keySet().removeIf(k -> k.peer().equals(peer));
    }
}
