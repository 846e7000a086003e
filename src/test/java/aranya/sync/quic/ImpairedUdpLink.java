package aranya.sync.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bad network between QUIC clients and one server, for tests. It listens on a loopback port
 * and forwards every datagram between each client and the target, losing, duplicating,
 * delaying and reordering them at random as its {@link Impairment} says. Once told to go
 * silent it forwards nothing more, like a peer whose network vanished. Counters say what was
 * done, so a test can assert the impairment really happened.
 *
 * <p>Each client address is a flow with its own upstream socket, so the target sees one
 * address per client. Each direction of a flow draws from its own generator, seeded from the
 * link's seed and the flow's number, so the fate of the n-th datagram of a direction depends
 * only on the seed. Datagrams wait for their delivery time in one bounded queue; when it is
 * full a datagram is dropped and counted as overflowed, as a router's full queue would.
 *
 * <p>Two more things a real path does, off unless asked: a rate limit per direction
 * ({@link #limitRate}: each direction of a flow sends at most that many bytes per second,
 * datagrams queue behind each other), and a NAT in front of the clients ({@link #natTimeout},
 * {@link #rebind}): a flow whose client sent nothing for the NAT timeout loses its mapping, so
 * the server's datagrams to it are dropped and the client's next datagram goes out from a new
 * upstream port, as a NAT that forgot the mapping (or rebinds) does.
 */
public final class ImpairedUdpLink implements AutoCloseable {
    /** Datagrams waiting for delivery, at most; enough for a full congestion window both ways at 50 ms. */
    private static final int QUEUE_CAPACITY = 20_000;
    private static final int MAX_DATAGRAM = 65_535;
    /** Datagrams up to this size count as small: a QUIC PING or a bare ACK, never stream data. */
    private static final int SMALL = 100;

    /**
     * What happens to each datagram, independently, in both directions.
     *
     * @param loss probability that it is dropped
     * @param duplication probability that it is delivered twice
     * @param reordering probability that it is held back an extra reorderDelay, so later
     *     datagrams overtake it
     * @param delay how long every datagram takes
     * @param reorderDelay the extra delay of a held-back datagram
     */
    public record Impairment(double loss, double duplication, double reordering, Duration delay, Duration reorderDelay) {
        public Impairment {
            requireProbability(loss, "loss");
            requireProbability(duplication, "duplication");
            requireProbability(reordering, "reordering");
            if (delay.isNegative() || reorderDelay.isNegative()) {
                throw new IllegalArgumentException("delays must be >= 0, got " + delay + " and " + reorderDelay);
            }
        }

        /** A perfect link: every datagram forwarded at once, in order. */
        public static final Impairment NONE = new Impairment(0, 0, 0, Duration.ZERO, Duration.ZERO);

        private static void requireProbability(double p, String name) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(name + " must be in [0, 1], got " + p);
            }
        }
    }

    /**
     * What the link has done so far, over both directions.
     *
     * @param forwarded datagrams delivered, duplicates included
     * @param dropped datagrams lost at random
     * @param duplicated datagrams delivered a second time
     * @param reordered datagrams delivered after one that arrived later in the same direction
     * @param silenced datagrams dropped because the link had gone silent
     * @param overflowed datagrams dropped because the delivery queue was full
     * @param rebinds times a client's traffic moved to a new upstream port (a NAT mapping forgotten or rebound)
     * @param unmapped datagrams from the server dropped because their client's mapping was gone
     * @param bytesToClients bytes of the datagrams the server sent to mapped clients (before any impairment)
     * @param bytesToServer bytes of the datagrams clients sent to the server (before any impairment)
     */
    public record Counters(long forwarded, long dropped, long duplicated, long reordered, long silenced, long overflowed,
            long rebinds, long unmapped, long bytesToClients, long bytesToServer) {}

    private final Impairment impairment;
    private final InetSocketAddress target;
    private final DatagramSocket front;
    private final long seed;
    private final Map<SocketAddress, Flow> flows = new ConcurrentHashMap<>();
    private final DelayQueue<Delivery> queue = new DelayQueue<>();
    private final Thread deliverer;
    private final AtomicLong enqueued = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();
    private final AtomicLong silenced = new AtomicLong();
    private final AtomicLong overflowed = new AtomicLong();
    private final AtomicLong rebinds = new AtomicLong();
    private final AtomicLong unmapped = new AtomicLong();
    private final AtomicLong bytesToClients = new AtomicLong();
    private final AtomicLong bytesToServer = new AtomicLong();
    private final Object activity = new Object();
    private volatile long bytesPerSecond;
    private volatile long bufferBytes;
    private volatile long natTimeoutNanos = Long.MAX_VALUE;
    private volatile long silentAfter = Long.MAX_VALUE;
    private volatile boolean silent;
    private volatile boolean closed;

    /**
     * A link to target with impairment, listening on an ephemeral loopback port.
     *
     * @param seed the seed of every random decision
     */
    public ImpairedUdpLink(InetSocketAddress target, Impairment impairment, long seed) throws IOException {
        this.target = target;
        this.impairment = impairment;
        this.seed = seed;
        this.front = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().name("link-from-clients").start(this::readClients);
        this.deliverer = Thread.ofVirtual().name("link-deliver").start(this::deliver);
    }

    /** Where clients send: the link's loopback address. */
    public InetSocketAddress address() {
        return new InetSocketAddress(front.getLocalAddress(), front.getLocalPort());
    }

    /**
     * Goes silent once this many more datagrams have come in, from either side: from then on
     * it drops everything, both ways, including datagrams still on their way.
     */
    public void goSilentAfter(long datagrams) {
        silentAfter = received.get() + datagrams;
    }

    /**
     * From now on each direction of each flow carries at most bytesPerSecond, holding at most
     * bufferBytes waiting to go out (a router's queue: more is dropped, as overflowed), so a
     * sender's congestion window cannot grow without bound.
     */
    public void limitRate(long bytesPerSecond, long bufferBytes) {
        this.bufferBytes = bufferBytes;
        this.bytesPerSecond = bytesPerSecond;
    }

    /** From now on a client's mapping is forgotten once the client sent nothing for timeout. */
    public void natTimeout(Duration timeout) {
        natTimeoutNanos = timeout.toNanos();
    }

    /** Forgets every client's mapping now, as a NAT that rebinds: each client's next datagram leaves from a new port. */
    public void rebind() {
        flows.values().forEach(Flow::forget);
    }

    /**
     * Waits, for at most limit, until some client datagram of at most {@value #SMALL} bytes
     * arrives at least quiet after that client's last larger one: proof that something small
     * (a keep-alive) still flows across an idle period of that length.
     *
     * @return whether it happened within limit
     */
    public boolean awaitSmallDatagramsAcross(Duration quiet, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        synchronized (activity) {
            while (true) {
                for (Flow flow : flows.values()) {
                    if (flow.lastLargeNanos != 0 && flow.lastSmallNanos - flow.lastLargeNanos >= quiet.toNanos()) {
                        return true;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(activity, left);
            }
        }
    }

    /** A snapshot of the counters. */
    public Counters counters() {
        return new Counters(forwarded.get(), dropped.get(), duplicated.get(), reordered.get(), silenced.get(), overflowed.get(),
                rebinds.get(), unmapped.get(), bytesToClients.get(), bytesToServer.get());
    }

    /** Stops forwarding and closes every socket; idempotent. */
    @Override
    public void close() {
        closed = true;
        front.close();
        flows.values().forEach(Flow::forget);
        deliverer.interrupt();
    }

    /**
     * One client: the socket the target sees it as (its NAT mapping, replaced when forgotten),
     * both directions of its traffic, and when it last sent a small and a large datagram.
     */
    private final class Flow {
        private final SocketAddress client;
        private final Direction toServer;
        private final Direction toClient;
        private volatile DatagramSocket upstream;
        private volatile long lastFromClientNanos = System.nanoTime();
        private volatile long lastSmallNanos;
        private volatile long lastLargeNanos;

        Flow(SocketAddress client, Direction toServer, Direction toClient) {
            this.client = client;
            this.toServer = toServer;
            this.toClient = toClient;
            this.upstream = map();
        }

        /** The socket toward the server for a datagram from the client now: a new one if the mapping was forgotten. */
        DatagramSocket upstreamFor(int length) {
            long now = System.nanoTime();
            if (upstream.isClosed() || now - lastFromClientNanos >= natTimeoutNanos) {
                forget();
                upstream = map();
                rebinds.incrementAndGet();
            }
            lastFromClientNanos = now;
            synchronized (activity) {
                if (length <= SMALL) {
                    lastSmallNanos = now;
                } else {
                    lastLargeNanos = now;
                }
                activity.notifyAll();
            }
            return upstream;
        }

        /** Whether the server's datagrams can still reach the client through this mapping. */
        boolean mapped(DatagramSocket via) {
            return via == upstream && !via.isClosed() && System.nanoTime() - lastFromClientNanos < natTimeoutNanos;
        }

        void forget() {
            upstream.close();
        }

        private DatagramSocket map() {
            try {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                Thread.ofVirtual().name("link-from-server").start(() -> readServer(this, socket));
                return socket;
            } catch (IOException e) {
                throw new IllegalStateException("cannot open an upstream socket", e);
            }
        }
    }

    /** One direction of a flow: its random source, the sequence numbers that reveal reordering, its rate limit's clock. */
    private static final class Direction {
        private final Random random;
        private final AtomicLong sent = new AtomicLong();
        private long highestDelivered = -1; // only the deliverer thread touches it
        private long busyUntilNanos; // only this direction's reader thread touches it

        Direction(Random random) {
            this.random = random;
        }
    }

    /** A datagram due at dueNanos; order is the tie-break, so equal delays keep arrival order. */
    private record Delivery(long dueNanos, long order, byte[] data, DatagramSocket via, SocketAddress to, Direction direction,
            long sequence) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Delivery o = (Delivery) other;
            int byTime = Long.compare(dueNanos, o.dueNanos);
            return byTime != 0 ? byTime : Long.compare(order, o.order);
        }
    }

    private void readClients() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                front.receive(packet);
                Flow flow = flows.computeIfAbsent(packet.getSocketAddress(), this::openFlow);
                bytesToServer.addAndGet(packet.getLength());
                impair(Arrays.copyOf(buffer, packet.getLength()), flow.upstreamFor(packet.getLength()), target, flow.toServer);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private Flow openFlow(SocketAddress client) {
        long number = flows.size(); // only the front reader adds flows
        return new Flow(client, new Direction(new Random(seed + 2 * number)), new Direction(new Random(seed + 2 * number + 1)));
    }

    private void readServer(Flow flow, DatagramSocket upstream) {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                upstream.receive(packet);
            } catch (IOException e) {
                return; // closed: the link, or this mapping
            }
            if (!flow.mapped(upstream)) {
                unmapped.incrementAndGet();
                continue;
            }
            bytesToClients.addAndGet(packet.getLength());
            impair(Arrays.copyOf(buffer, packet.getLength()), front, flow.client, flow.toClient);
        }
    }

    /** Decides the fate of one datagram, on its direction's reader thread. */
    private void impair(byte[] data, DatagramSocket via, SocketAddress to, Direction direction) {
        if (received.incrementAndGet() > silentAfter) {
            silent = true;
        }
        if (silent) {
            silenced.incrementAndGet();
            return;
        }
        long sequence = direction.sent.getAndIncrement();
        Random random = direction.random;
        boolean lose = random.nextDouble() < impairment.loss();
        boolean duplicate = random.nextDouble() < impairment.duplication();
        boolean holdBack = random.nextDouble() < impairment.reordering();
        if (lose) {
            dropped.incrementAndGet();
            return;
        }
        long due = System.nanoTime();
        long rate = bytesPerSecond;
        if (rate > 0) {
            long backlogNanos = Math.max(0, direction.busyUntilNanos - due);
            if (backlogNanos * rate / 1_000_000_000L + data.length > bufferBytes) {
                overflowed.incrementAndGet();
                return;
            }
            due += backlogNanos + data.length * 1_000_000_000L / rate;
            direction.busyUntilNanos = due;
        }
        due += impairment.delay().toNanos() + (holdBack ? impairment.reorderDelay().toNanos() : 0);
        enqueue(new Delivery(due, enqueued.getAndIncrement(), data, via, to, direction, sequence));
        if (duplicate) {
            duplicated.incrementAndGet();
            enqueue(new Delivery(due, enqueued.getAndIncrement(), data, via, to, direction, sequence));
        }
    }

    private void enqueue(Delivery delivery) {
        if (queue.size() >= QUEUE_CAPACITY) {
            overflowed.incrementAndGet();
            return;
        }
        queue.add(delivery);
    }

    private void deliver() {
        while (!closed) {
            Delivery d;
            try {
                d = queue.take();
            } catch (InterruptedException e) {
                return; // closed
            }
            if (silent) {
                silenced.incrementAndGet();
                continue;
            }
            if (d.sequence() < d.direction().highestDelivered) {
                reordered.incrementAndGet();
            }
            d.direction().highestDelivered = Math.max(d.direction().highestDelivered, d.sequence());
            try {
                d.via().send(new DatagramPacket(d.data(), d.data().length, d.to()));
                forwarded.incrementAndGet();
            } catch (IOException e) {
                // The socket closed under us (link closing), or the client went away: like a lost datagram.
            }
        }
    }
}
