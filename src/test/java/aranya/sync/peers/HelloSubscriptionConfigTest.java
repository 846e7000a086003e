package aranya.sync.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HelloSubscriptionConfigTest {
    @Test
    void defaultsAreAranyas() {
        HelloSubscriptionConfig c = HelloSubscriptionConfig.builder().build();
        assertThat(c.graphChangeDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.duration()).isEqualTo(Duration.ofDays(365));
        assertThat(c.scheduleDelay()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void invalidValuesAreRefusedWithTheFieldNamed() {
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().graphChangeDelay(Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("graphChangeDelay");
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().scheduleDelay(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheduleDelay");
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().scheduleDelay(Duration.ofDays(366)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheduleDelay");
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().duration(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duration");
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().duration(Duration.ofDays(366)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duration");
        assertThatThrownBy(() -> HelloSubscriptionConfig.builder().duration(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("duration");
    }
}
