package aranya.sync.quic;

import static aranya.sync.quic.InitialPacketForge.concat;
import static aranya.sync.quic.InitialPacketForge.crypto;
import static aranya.sync.quic.InitialPacketForge.cryptoClaiming;
import static aranya.sync.quic.InitialPacketForge.initial;
import static aranya.sync.quic.InitialPacketForge.varint;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the gate lets through to kwik, datagram by datagram, with no network. */
class HandshakeGateTest {
    private static final Duration IDLE = Duration.ofSeconds(30);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.1", 40000);
    private static final byte[] HELLO = filled(300, 0x16);

    private final AtomicLong clock = new AtomicLong();
    private final HandshakeGate gate = new HandshakeGate(4, 2, IDLE, clock::get);
    private int nextId = 1;

    @Test
    void anHonestFirstInitialIsAdmittedAndCountsAsPending() {
        assertThat(admit(firstInitial(crypto(0, HELLO)), CLIENT)).isTrue();
        assertThat(gate.pending()).isEqualTo(1);
        assertThat(gate.dropped()).isZero();
    }

    @Test
    void anInitialWhoseCryptoFrameClaimsTwoGibibytesIsDropped() {
        byte[] attack = firstInitial(cryptoClaiming(0, PreAuthAttack.CLAIMED_CRYPTO_LENGTH, new byte[64]));
        assertThat(admit(attack, CLIENT)).isFalse();
        assertThat(gate.pending()).isZero();
        assertThat(gate.dropped()).isEqualTo(1);
    }

    @Test
    void cryptoDataMustEndWithin64KiB() {
        long offset = InitialFrames.MAX_CRYPTO_END - HELLO.length;
        assertThat(admit(firstInitial(crypto(offset, HELLO)), CLIENT)).isTrue();
        assertThat(admit(firstInitial(crypto(offset + 1, HELLO)), CLIENT)).isFalse();
    }

    @Test
    void aFrameAnInitialMayNotHoldIsDropped() {
        byte[] stream = concat(new byte[] {0x08, 0x00}, HELLO); // STREAM, stream 0
        assertThat(admit(firstInitial(stream), CLIENT)).isFalse();
    }

    @Test
    void anAckClaimingMoreRangesThanThePacketHoldsIsDropped() {
        byte[] ack = concat(new byte[] {0x02, 0x00, 0x00}, varint(1L << 40, 8), new byte[] {0x00});
        assertThat(admit(firstInitial(ack), CLIENT)).isFalse();
    }

    @Test
    void aConnectionCloseWhoseReasonOverrunsThePacketIsDropped() {
        byte[] close = concat(new byte[] {0x1c, 0x00, 0x00}, varint(5000, 2), new byte[] {'x'});
        assertThat(admit(firstInitial(close), CLIENT)).isFalse();
    }

    @Test
    void aDamagedInitialIsDropped() {
        byte[] datagram = firstInitial(crypto(0, HELLO));
        datagram[600] ^= 1;
        assertThat(admit(datagram, CLIENT)).isFalse();
        assertThat(gate.pending()).isZero();
    }

    @Test
    void aFirstInitialInADatagramUnder1200BytesIsDropped() {
        assertThat(admit(initial(id(), id(), 0, crypto(0, HELLO), 1199), CLIENT)).isFalse();
    }

    @Test
    void aDatagramCutShortOfItsLengthFieldIsDropped() {
        byte[] datagram = firstInitial(crypto(0, HELLO));
        assertThat(gate.admit(datagram, 0, 1100, CLIENT)).isFalse();
    }

    @Test
    void aMaliciousInitialCoalescedAfterAnHonestOneDropsTheWholeDatagram() {
        byte[] honest = initial(id(), id(), 0, crypto(0, HELLO), 600);
        byte[] attack = initial(id(), id(), 0, cryptoClaiming(0, PreAuthAttack.CLAIMED_CRYPTO_LENGTH, new byte[8]), 600);
        assertThat(admit(concat(honest, attack), CLIENT)).isFalse();
        assertThat(gate.pending()).isZero();
    }

    @Test
    void shortHeaderAndOtherVersionDatagramsAreLeftToKwik() {
        byte[] shortHeader = filled(100, 0x41);
        byte[] otherVersion = filled(1200, 0);
        otherVersion[0] = (byte) 0xc0;
        otherVersion[4] = 2; // version 0x00000002: kwik answers with Version Negotiation
        assertThat(admit(shortHeader, CLIENT)).isTrue();
        assertThat(admit(otherVersion, CLIENT)).isTrue();
    }

    @Test
    void pendingConnectionsAreCappedPerAddressAndInTotal() {
        assertThat(admit(firstInitial(crypto(0, HELLO)), CLIENT)).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 1))).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 2))).as("third from one address").isFalse();
        InetSocketAddress other = new InetSocketAddress("192.0.2.2", 40000);
        assertThat(admit(firstInitial(crypto(0, HELLO)), other)).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(other, 1))).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), new InetSocketAddress("192.0.2.3", 40000))).as("fifth in all").isFalse();
        assertThat(gate.pending()).isEqualTo(4);
    }

    @Test
    void ipv6AddressesCountByTheirSlash64() {
        assertThat(admit(firstInitial(crypto(0, HELLO)), new InetSocketAddress("2001:db8::1", 1))).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), new InetSocketAddress("2001:db8::2", 1))).isTrue();
        assertThat(admit(firstInitial(crypto(0, HELLO)), new InetSocketAddress("2001:db8::3", 1))).isFalse();
        assertThat(admit(firstInitial(crypto(0, HELLO)), new InetSocketAddress("2001:db8:0:1::1", 1))).isTrue();
    }

    @Test
    void aPendingConnectionSilentForTheIdleTimeoutNoLongerCounts() {
        admit(firstInitial(crypto(0, HELLO)), CLIENT);
        admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 1));
        clock.addAndGet(IDLE.toNanos());
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 2))).isTrue();
        assertThat(gate.pending()).isEqualTo(1);
    }

    @Test
    void anEstablishedConnectionCountsUntilReleased() {
        admit(firstInitial(crypto(0, HELLO)), CLIENT);
        admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 1));
        HandshakeGate.PendingConnection established = gate.established(CLIENT).orElseThrow();
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 2))).isFalse();
        gate.release(established);
        gate.release(established);
        assertThat(gate.pending()).isEqualTo(1);
        assertThat(admit(firstInitial(crypto(0, HELLO)), port(CLIENT, 2))).isTrue();
        assertThat(gate.established(new InetSocketAddress("192.0.2.9", 1))).isEmpty();
    }

    @Test
    void laterInitialsToTheServersConnectionIdDecryptWithTheFirstConnectionIdsKeys() {
        byte[] originalDcid = id();
        byte[] clientScid = id();
        byte[] serverCid = id();
        admit(initial(originalDcid, clientScid, 0, crypto(0, HELLO), 1200), CLIENT);
        byte[] serverInitial = initial(clientScid, serverCid, 0, crypto(0, HELLO), 1200);
        gate.sent(serverInitial, 0, serverInitial.length, CLIENT);
        byte[] ack = {0x02, 0x00, 0x00, 0x00, 0x00};
        assertThat(admit(initial(InitialKeys.client(originalDcid), serverCid, clientScid, 1, ack, 1200), CLIENT)).isTrue();
        assertThat(admit(initial(serverCid, clientScid, 2, ack, 1200), CLIENT)).as("keys of the server's id").isFalse();
        assertThat(gate.pending()).isEqualTo(1);
    }

    @Test
    void oneConnectionMaySendOnlySoManyInitials() {
        byte[] dcid = id();
        byte[] scid = id();
        for (int i = 0; i < HandshakeGate.MAX_INITIALS_PER_CONNECTION; i++) {
            assertThat(admit(initial(dcid, scid, i, crypto(0, HELLO), 1200), CLIENT)).isTrue();
        }
        assertThat(admit(initial(dcid, scid, 99, crypto(0, HELLO), 1200), CLIENT)).isFalse();
        assertThat(gate.pending()).isEqualTo(1);
    }

    private boolean admit(byte[] datagram, InetSocketAddress source) {
        return gate.admit(datagram, 0, datagram.length, source);
    }

    private byte[] firstInitial(byte[] frames) {
        return initial(id(), id(), 0, frames, 1200);
    }

    private byte[] id() {
        byte[] id = new byte[8];
        Arrays.fill(id, (byte) nextId++);
        return id;
    }

    private static InetSocketAddress port(InetSocketAddress address, int offset) {
        return new InetSocketAddress(address.getAddress(), address.getPort() + offset);
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }
}
