package aranya.sync.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SyncPeerConfigTest {
    @Test
    void defaultsAreTheDesigns() {
        SyncPeerConfig c = SyncPeerConfig.builder().build();
        assertThat(c.interval()).isEmpty();
        assertThat(c.syncNow()).isTrue();
        assertThat(c.bidirectional()).isFalse();
    }

    @Test
    void builderRoundTripsAndValidates() {
        SyncPeerConfig c = SyncPeerConfig.builder().interval(Duration.ofSeconds(10)).syncNow(false).bidirectional(true).build();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.interval()).contains(Duration.ofSeconds(10));
        assertThatThrownBy(() -> SyncPeerConfig.builder().interval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> SyncPeerConfig.builder().interval(Duration.ofDays(366)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("365 days");
        assertThatThrownBy(() -> new SyncPeerConfig(Optional.of(Duration.ofSeconds(-1)), true, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void peerAddressesParse() {
        assertThat(PeerAddress.parse("127.0.0.1:4433")).isEqualTo(new PeerAddress("127.0.0.1", 4433));
        assertThat(PeerAddress.parse("[::1]:9")).isEqualTo(new PeerAddress("::1", 9));
        assertThat(new PeerAddress("::1", 9)).hasToString("[::1]:9");
        assertThatThrownBy(() -> PeerAddress.parse("::1:9")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> PeerAddress.parse("host")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> PeerAddress.parse("host:99999")).hasMessageContaining("1..65535");
    }
}
