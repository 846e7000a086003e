/**
 * Sync over QUIC with kwik 0.10.8: the only package that touches {@code tech.kwik}.
 *
 * <ul>
 *   <li>{@link aranya.sync.quic.SyncListener} accepts connections on one UDP port and hands each
 *       authenticated sync stream to a {@link aranya.sync.quic.SyncStreamHandler};
 *   <li>{@link aranya.sync.quic.SyncConnector} pools one connection per peer and opens
 *       {@link aranya.sync.protocol.MessageStream}s on it;
 *   <li>both authenticate teams with a challenge–response bound to the server's certificate
 *       ({@code TeamAuth}), since kwik offers neither external PSKs nor client certificates;
 *   <li>every session runs under a deadline that aborts its stream ({@code SessionDeadline}),
 *       since kwik has no read timeout and ignores interrupts;
 *   <li>every stream's send side is kicked past kwik's lost send wake-up ({@code StreamKicker}),
 *       and a stream's messages end with an empty frame rather than a FIN, which kwik can strand
 *       ({@code QuicMessageStream});
 *   <li>the listener's socket keeps kwik from calling {@code System.exit} ({@code GuardedDatagramSocket}),
 *       and decrypts and checks every Initial packet and caps the connections not yet
 *       authenticated before kwik parses a byte ({@code HandshakeGate});
 *   <li>the listener keeps what peers make it hold within the node's
 *       {@link aranya.sync.protocol.NodeBudget}: connections ({@code ConnectionLimits}), streams
 *       served at once per node, team and peer address ({@code SessionGate}), and receive windows.
 * </ul>
 * Why each workaround is needed: the README's section "kwik 0.10.8 weaknesses we cannot patch"
 * and each class's comment.
 */
package aranya.sync.quic;
