package aranya.sync.quic;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts a listener's connections, over all and per remote address, against
 * {@link aranya.sync.protocol.NodeBudget#maxConnections} and
 * {@link aranya.sync.protocol.NodeBudget#maxConnectionsPerPeer}: each connection may make kwik
 * buffer up to its receive window of data we have not read, so their number times that window
 * is what QUIC can hold on the node.
 */
final class ConnectionLimits {
    private final int max;
    private final int maxPerPeer;
    private final Map<InetAddress, Integer> perPeer = new HashMap<>();
    private int open;

    ConnectionLimits(int max, int maxPerPeer) {
        this.max = max;
        this.maxPerPeer = maxPerPeer;
    }

    /** Counts a new connection from peer, unless it would pass a limit; returns whether it was counted. */
    synchronized boolean tryOpen(InetAddress peer) {
        if (open >= max || perPeer.getOrDefault(peer, 0) >= maxPerPeer) {
            return false;
        }
        open++;
        perPeer.merge(peer, 1, Integer::sum);
        return true;
    }

    /** A counted connection from peer has ended. */
    synchronized void closed(InetAddress peer) {
        open--;
        perPeer.computeIfPresent(peer, (p, n) -> n == 1 ? null : n - 1);
    }

    /** Connections counted now. */
    synchronized int open() {
        return open;
    }
}
