package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailedAuthLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FailedAuthLimiter limiter = new FailedAuthLimiter(3, Duration.ofMinutes(1), now::get);

    @Test
    void anAddressIsLimitedOnceItReachesTheLimitWithinTheWindow() throws Exception {
        InetAddress address = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.isLimited(address)).as("after %d failures", i).isFalse();
            limiter.recordFailure(address);
        }
        assertThat(limiter.isLimited(address)).isTrue();
        assertThat(limiter.isLimited(InetAddress.getByName("192.0.2.2"))).as("another address").isFalse();
    }

    @Test
    void failuresOlderThanTheWindowNoLongerCount() throws Exception {
        InetAddress address = InetAddress.getByName("192.0.2.1");
        limiter.recordFailure(address);
        now.addAndGet(Duration.ofSeconds(40).toNanos());
        limiter.recordFailure(address);
        limiter.recordFailure(address);
        assertThat(limiter.isLimited(address)).isTrue();
        now.addAndGet(Duration.ofSeconds(20).toNanos());
        assertThat(limiter.isLimited(address)).as("the first failure left the window").isFalse();
        now.addAndGet(Duration.ofSeconds(40).toNanos());
        assertThat(limiter.isLimited(address)).isFalse();
    }

    @Test
    void floodsFromManyAddressesStayBounded() throws Exception {
        byte[] ip = {10, 0, 0, 0};
        for (int i = 0; i < FailedAuthLimiter.MAX_TRACKED + 10; i++) {
            ip[1] = (byte) (i >> 16);
            ip[2] = (byte) (i >> 8);
            ip[3] = (byte) i;
            limiter.recordFailure(InetAddress.getByAddress(ip.clone()));
        }
        InetAddress last = InetAddress.getByAddress(ip.clone());
        limiter.recordFailure(last);
        limiter.recordFailure(last);
        assertThat(limiter.isLimited(last)).as("the newest address is still tracked").isTrue();
        assertThat(limiter.trackedAddresses()).isLessThanOrEqualTo(FailedAuthLimiter.MAX_TRACKED);
    }
}
