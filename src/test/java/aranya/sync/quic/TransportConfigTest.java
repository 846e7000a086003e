package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.wire.Limits;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransportConfigTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        TransportConfig config = TransportConfig.defaults();
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxSessionTime()).isEmpty();
        assertThat(config.authTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.connectionIdleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.keepAliveInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.clientConnectionIdleTimeout()).as("kwik pings at half of it").isEqualTo(Duration.ofSeconds(20));
        assertThat(config.firstResponseTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.maxMessageSize()).isEqualTo(Limits.MAX_SYNC_MESSAGE_SIZE);
        assertThat(config.streamReceiveWindow()).isEqualTo(16L << 20);
        assertThat(config.connectionReceiveWindow()).isEqualTo(64L << 20);
        assertThat(config.maxPeerStreams()).isEqualTo(1000);
        assertThat(config.kickInterval()).isEqualTo(Duration.ofMillis(10));
        assertThat(config.failedAuthLimit()).isEqualTo(10);
        assertThat(config.failedAuthWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.kickEnabled()).isTrue();
    }

    @Test
    void toBuilderRebuildsAnEqualConfigAndChangesOnlyWhatIsSet() {
        TransportConfig config = TransportConfig.builder()
                .idleTimeout(Duration.ofSeconds(7))
                .maxSessionTime(Optional.of(Duration.ofMinutes(3)))
                .keepAliveInterval(Duration.ZERO)
                .kickInterval(Duration.ZERO)
                .failedAuthLimit(3, Duration.ofSeconds(9))
                .build();
        assertThat(config.toBuilder().build()).isEqualTo(config);
        TransportConfig changed = config.toBuilder().maxPeerStreams(5).build();
        assertThat(changed.maxPeerStreams()).isEqualTo(5);
        assertThat(changed.idleTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(changed.kickEnabled()).isFalse();
    }

    @Test
    void settersRefuseNonsenseWithTheFieldInTheMessage() {
        TransportConfig.Builder builder = TransportConfig.builder();
        assertThatThrownBy(() -> builder.idleTimeout(Duration.ZERO)).hasMessageContaining("idleTimeout");
        assertThatThrownBy(() -> builder.maxSessionTime(Optional.of(Duration.ZERO))).hasMessageContaining("maxSessionTime");
        assertThatThrownBy(() -> builder.keepAliveInterval(Duration.ofMillis(1500))).hasMessageContaining("keepAliveInterval");
        assertThatThrownBy(() -> builder.firstResponseTimeout(Duration.ZERO)).hasMessageContaining("firstResponseTimeout");
        assertThatThrownBy(() -> builder.connectTimeout(Duration.ofSeconds(-1))).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> builder.maxMessageSize(0)).hasMessageContaining("maxMessageSize");
        assertThatThrownBy(() -> builder.streamReceiveWindow(1024)).hasMessageContaining("streamReceiveWindow");
        assertThatThrownBy(() -> builder.maxPeerStreams(0)).hasMessageContaining("maxPeerStreams");
        assertThatThrownBy(() -> builder.kickInterval(Duration.ofMillis(-1))).hasMessageContaining("kickInterval");
        assertThatThrownBy(() -> builder.failedAuthLimit(0, Duration.ofMinutes(1))).hasMessageContaining("failedAuthLimit");
        assertThatThrownBy(() -> builder.authTimeout(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void buildRefusesAConnectionWindowSmallerThanTheStreamWindow() {
        TransportConfig.Builder builder = TransportConfig.builder().streamReceiveWindow(1 << 20).connectionReceiveWindow(1 << 19);
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connectionReceiveWindow");
    }
}
