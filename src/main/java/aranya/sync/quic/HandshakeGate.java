package aranya.sync.quic;

import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Decides which datagrams kwik's server may see, before it parses a byte of them, and bounds
 * the connections a peer can make it hold before proving team membership.
 *
 * <p>Every Initial packet is decrypted and its frames checked ({@link InitialFrames}); one that
 * fails is dropped with its whole datagram. An Initial to a connection id the gate has not seen
 * opens a <em>pending connection</em>: one the server may spend a TLS handshake and kwik's
 * per-connection threads (four platform threads each) on. Pending connections are capped per
 * source address ({@value #MAX_PENDING_PER_ADDRESS}; an IPv6 address counts by its /64) and in
 * total ({@value #MAX_PENDING}); Initials that would open one past a cap are dropped without an
 * answer, so a flood of ClientHellos gets neither state nor the server's 3× amplified reply.
 * A pending connection stops counting when the listener reports it authenticated for a team
 * ({@link #release}), or once it has been silent for the connection's idle timeout, after which
 * kwik has dropped it too. kwik 0.10.8 can require address validation (Retry) only for every
 * connection or none, so the gate drops rather than asks for Retry past a cap.
 *
 * <p>Later Initials of a connection use the keys of its first Destination Connection ID, but are
 * sent to the connection id the server chose, which the gate learns from the server's own
 * Initial as it leaves the socket ({@link #sent}). An Initial whose keys the gate cannot find
 * does not decrypt, and is dropped.
 *
 * <p>Thread-safe: kwik's receiver thread admits, its per-connection sender threads report what
 * they send, the listener releases.
 */
class HandshakeGate {
    /** Pending connections from one address (one IPv6 /64): enough for many devices behind one NAT connecting at once. */
    static final int MAX_PENDING_PER_ADDRESS = 32;
    /** Pending connections in all: each holds four kwik threads and about half a MiB until it ends. */
    static final int MAX_PENDING = 256;
    /** Initial packets one connection may send; a client needs a handful, with retransmissions. */
    static final int MAX_INITIALS_PER_CONNECTION = 32;
    /** RFC 9000 §14.1: a server must drop a client's first Initial in a datagram under 1200 bytes. */
    static final int MIN_INITIAL_DATAGRAM = 1200;

    private static final System.Logger LOG = System.getLogger(HandshakeGate.class.getName());
    private static final long SWEEP_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    /** How often a drop is logged at WARNING at most; the rest are counted. */
    private static final long WARNING_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();

    private final int maxPending;
    private final int maxPendingPerAddress;
    private final long idleNanos;
    private final LongSupplier clock;
    private final InitialPacketOpener opener = new InitialPacketOpener();
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, List<PendingConnection>> byAddress = new HashMap<>();
    private final LongAdder dropped = new LongAdder();
    private int pending;
    private long lastSweep;
    private long lastWarning;

    /** A gate with the default caps, for connections whose QUIC idle timeout is connectionIdleTimeout. */
    HandshakeGate(Duration connectionIdleTimeout) {
        this(MAX_PENDING, MAX_PENDING_PER_ADDRESS, connectionIdleTimeout, System::nanoTime);
    }

    /** With caps and a clock in nanoseconds of the test's choosing. */
    HandshakeGate(int maxPending, int maxPendingPerAddress, Duration connectionIdleTimeout, LongSupplier clock) {
        this.maxPending = maxPending;
        this.maxPendingPerAddress = maxPendingPerAddress;
        this.idleNanos = connectionIdleTimeout.toNanos();
        this.clock = clock;
        this.lastSweep = clock.getAsLong();
        this.lastWarning = lastSweep - WARNING_INTERVAL_NANOS;
    }

    /** A connection that has sent an Initial but not yet authenticated for any team. */
    static final class PendingConnection {
        private final InetSocketAddress source;
        private final byte[] originalDcid;
        private final byte[] clientScid;
        private final InitialKeys keys;
        private byte[] serverCid;
        private boolean established;
        private int initials;
        private long lastSeen;

        private PendingConnection(InetSocketAddress source, byte[] originalDcid, byte[] clientScid, InitialKeys keys, long now) {
            this.source = source;
            this.originalDcid = originalDcid;
            this.clientScid = clientScid;
            this.keys = keys;
            this.lastSeen = now;
        }

        private boolean isAddressedBy(byte[] dcid) {
            return Arrays.equals(originalDcid, dcid) || (serverCid != null && Arrays.equals(serverCid, dcid));
        }
    }

    /**
     * Whether kwik may see the datagram data[offset, offset + length) from source. Drops it if
     * it is malformed, if one of its Initial packets fails to decrypt or holds frames it may
     * not, or if it would open a pending connection past a cap.
     */
    boolean admit(byte[] data, int offset, int length, InetSocketAddress source) {
        try {
            admitOrThrow(data, offset, length, source);
            return true;
        } catch (InvalidPacketException e) {
            drop(source, e.getMessage());
            return false;
        }
    }

    private void admitOrThrow(byte[] data, int offset, int length, InetSocketAddress source) throws InvalidPacketException {
        List<LongHeaderPacket> packets = LongHeaderPacket.parse(data, offset, length);
        List<PendingConnection> opened = new ArrayList<>(1);
        for (LongHeaderPacket packet : packets) {
            if (packet.type() != LongHeaderPacket.INITIAL) {
                continue; // kwik decrypts these only with keys of a connection that exists
            }
            lock.lock();
            try {
                long now = clock.getAsLong();
                PendingConnection connection = find(source, packet.dcid())
                        .or(() -> opened.stream().filter(c -> c.isAddressedBy(packet.dcid())).findFirst())
                        .orElse(null);
                if (connection == null) {
                    if (length < MIN_INITIAL_DATAGRAM) {
                        throw new InvalidPacketException("a first Initial in a " + length + "-byte datagram");
                    }
                    sweepIfDue(now);
                    requireRoom(source, opened.size());
                    connection = new PendingConnection(source, packet.dcid(), packet.scid(), InitialKeys.client(packet.dcid()), now);
                    opened.add(connection);
                } else if (connection.initials >= MAX_INITIALS_PER_CONNECTION) {
                    throw new InvalidPacketException("more than " + MAX_INITIALS_PER_CONNECTION + " Initial packets on one connection");
                }
                InitialFrames.check(opener.open(data, packet, connection.keys));
                connection.initials++;
                connection.lastSeen = now;
            } finally {
                lock.unlock();
            }
        }
        if (!opened.isEmpty()) {
            lock.lock();
            try {
                for (PendingConnection connection : opened) {
                    byAddress.computeIfAbsent(addressKey(source.getAddress()), k -> new ArrayList<>()).add(connection);
                    pending++;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Learns the connection id the server chose for a pending connection from the server's
     * Initial packet in data[offset, offset + length), sent to destination; other datagrams
     * teach nothing.
     */
    void sent(byte[] data, int offset, int length, InetSocketAddress destination) {
        List<LongHeaderPacket> packets;
        try {
            packets = LongHeaderPacket.parse(data, offset, length);
        } catch (InvalidPacketException e) {
            return; // not a handshake packet of ours; nothing to learn
        }
        if (packets.isEmpty() || packets.get(0).type() != LongHeaderPacket.INITIAL) {
            return;
        }
        LongHeaderPacket initial = packets.get(0);
        lock.lock();
        try {
            for (PendingConnection connection : byAddress.getOrDefault(addressKey(destination.getAddress()), List.of())) {
                if (connection.source.equals(destination) && connection.serverCid == null
                        && Arrays.equals(connection.clientScid, initial.dcid())) {
                    connection.serverCid = initial.scid();
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The handshake with remote has completed: the oldest pending connection from remote that
     * had not completed one is now established. It keeps counting until {@link #release}d.
     */
    Optional<PendingConnection> established(InetSocketAddress remote) {
        lock.lock();
        try {
            for (PendingConnection connection : byAddress.getOrDefault(addressKey(remote.getAddress()), List.of())) {
                if (connection.source.equals(remote) && !connection.established) {
                    connection.established = true;
                    return Optional.of(connection);
                }
            }
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** connection authenticated for a team, or was closed: it no longer counts. Idempotent. */
    void release(PendingConnection connection) {
        lock.lock();
        try {
            String key = addressKey(connection.source.getAddress());
            List<PendingConnection> connections = byAddress.get(key);
            if (connections != null && connections.remove(connection)) {
                pending--;
                if (connections.isEmpty()) {
                    byAddress.remove(key);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Pending connections counted now. */
    int pending() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /** Datagrams dropped so far. */
    long dropped() {
        return dropped.sum();
    }

    private Optional<PendingConnection> find(InetSocketAddress source, byte[] dcid) {
        for (PendingConnection connection : byAddress.getOrDefault(addressKey(source.getAddress()), List.of())) {
            if (connection.source.equals(source) && connection.isAddressedBy(dcid)) {
                return Optional.of(connection);
            }
        }
        return Optional.empty();
    }

    private void requireRoom(InetSocketAddress source, int openingNow) throws InvalidPacketException {
        int fromAddress = byAddress.getOrDefault(addressKey(source.getAddress()), List.of()).size() + openingNow;
        if (fromAddress >= maxPendingPerAddress) {
            throw new InvalidPacketException("a new connection from an address with " + fromAddress + " pending already (the cap)");
        }
        if (pending + openingNow >= maxPending) {
            throw new InvalidPacketException("a new connection while " + (pending + openingNow) + " are pending (the cap)");
        }
    }

    /** Forgets pending connections silent for the QUIC idle timeout: kwik has closed them. At most once a second, or when at a cap. */
    private void sweepIfDue(long now) {
        if (now - lastSweep < SWEEP_INTERVAL_NANOS && pending < maxPending) {
            return;
        }
        lastSweep = now;
        for (Iterator<List<PendingConnection>> lists = byAddress.values().iterator(); lists.hasNext(); ) {
            List<PendingConnection> connections = lists.next();
            int before = connections.size();
            connections.removeIf(c -> now - c.lastSeen >= idleNanos);
            pending -= before - connections.size();
            if (connections.isEmpty()) {
                lists.remove();
            }
        }
    }

    private void drop(InetSocketAddress source, String reason) {
        dropped.increment();
        long now = clock.getAsLong();
        boolean warn;
        lock.lock();
        try {
            warn = now - lastWarning >= WARNING_INTERVAL_NANOS;
            if (warn) {
                lastWarning = now;
            }
        } finally {
            lock.unlock();
        }
        LOG.log(warn ? Level.WARNING : Level.DEBUG, "dropped a datagram from {0} before kwik saw it: {1} ({2} dropped so far)",
                source, reason, dropped.sum());
    }

    /** The key an address counts under: the address itself, or an IPv6 address's /64 prefix. */
    private static String addressKey(InetAddress address) {
        byte[] bytes = address.getAddress();
        return HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 8));
    }
}
