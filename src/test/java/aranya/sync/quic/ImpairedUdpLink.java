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
 */
public final class ImpairedUdpLink implements AutoCloseable {
    /** Datagrams waiting for delivery, at most; enough for a full congestion window both ways at 50 ms. */
    private static final int QUEUE_CAPACITY = 20_000;
    private static final int MAX_DATAGRAM = 65_535;

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
     */
    public record Counters(long forwarded, long dropped, long duplicated, long reordered, long silenced, long overflowed) {}

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

    /** A snapshot of the counters. */
    public Counters counters() {
        return new Counters(forwarded.get(), dropped.get(), duplicated.get(), reordered.get(), silenced.get(), overflowed.get());
    }

    /** Stops forwarding and closes every socket; idempotent. */
    @Override
    public void close() {
        closed = true;
        front.close();
        flows.values().forEach(flow -> flow.upstream().close());
        deliverer.interrupt();
    }

    /** One client: the socket the target sees it as, and both directions of its traffic. */
    private record Flow(DatagramSocket upstream, Direction toServer, Direction toClient) {}

    /** One direction of a flow: its random source and the sequence numbers that reveal reordering. */
    private static final class Direction {
        private final Random random;
        private final AtomicLong sent = new AtomicLong();
        private long highestDelivered = -1; // only the deliverer thread touches it

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
                impair(Arrays.copyOf(buffer, packet.getLength()), flow.upstream(), target, flow.toServer());
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private Flow openFlow(SocketAddress client) {
        try {
            long number = flows.size(); // only the front reader adds flows
            Flow flow = new Flow(new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)),
                    new Direction(new Random(seed + 2 * number)), new Direction(new Random(seed + 2 * number + 1)));
            Thread.ofVirtual().name("link-from-server").start(() -> readServer(flow, client));
            return flow;
        } catch (IOException e) {
            throw new IllegalStateException("cannot open an upstream socket", e);
        }
    }

    private void readServer(Flow flow, SocketAddress client) {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                flow.upstream().receive(packet);
                impair(Arrays.copyOf(buffer, packet.getLength()), front, client, flow.toClient());
            } catch (IOException e) {
                return; // closed
            }
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
        long due = System.nanoTime() + impairment.delay().toNanos() + (holdBack ? impairment.reorderDelay().toNanos() : 0);
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
