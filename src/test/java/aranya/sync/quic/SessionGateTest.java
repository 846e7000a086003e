package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionGateTest {
    private static final Duration NO_WAIT = Duration.ZERO;
    private static final Duration LONG = Duration.ofSeconds(30);
    private static final InetAddress A = address(1);
    private static final InetAddress B = address(2);

    @Test
    void onePeerAtItsLimitLeavesTheOthersTheirSlots() throws Exception {
        SessionGate gate = new SessionGate(3, 3, 2);
        SessionGate.Admission a1 = gate.enter(A, NO_WAIT);
        SessionGate.Admission a2 = gate.enter(A, NO_WAIT);
        assertTimesOut(() -> gate.enter(A, NO_WAIT));
        SessionGate.Admission b1 = gate.enter(B, NO_WAIT);
        assertTimesOut(() -> gate.enter(B, NO_WAIT)); // the node is full
        a1.close();
        gate.enter(B, NO_WAIT).close();
        a2.close();
        b1.close();
        assertThat(gate.active()).isZero();
        assertThat(gate.peak()).isEqualTo(3);
    }

    @Test
    void aTeamAtItsLimitWaitsWhileOtherTeamsGoOn() throws Exception {
        SessionGate gate = new SessionGate(10, 1, 10);
        SessionGate.Admission first = gate.enter(A, NO_WAIT);
        first.joinTeam(QuicFixtures.TEAM, NO_WAIT);
        SessionGate.Admission second = gate.enter(B, NO_WAIT);
        assertTimesOut(() -> second.joinTeam(QuicFixtures.TEAM, NO_WAIT));
        SessionGate.Admission other = gate.enter(B, NO_WAIT);
        other.joinTeam(QuicFixtures.OTHER_TEAM, NO_WAIT);
        first.close();
        second.joinTeam(QuicFixtures.TEAM, NO_WAIT);
        second.close();
        other.close();
        assertThat(gate.active()).isZero();
    }

    @Test
    void aWaitingStreamIsAdmittedWhenASlotOfItsPeerFrees() throws Exception {
        SessionGate gate = new SessionGate(10, 10, 1);
        SessionGate.Admission held = gate.enter(A, NO_WAIT);
        CompletableFuture<SessionGate.Admission> waiting = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                waiting.complete(gate.enter(A, LONG));
            } catch (SyncException e) {
                waiting.completeExceptionally(e);
            }
        });
        gate.enter(B, NO_WAIT).close(); // another peer is not held up by A's queue
        assertThat(waiting).isNotDone();
        held.close();
        waiting.get(30, TimeUnit.SECONDS).close();
        assertThat(gate.active()).isZero();
        assertThat(gate.peak()).isEqualTo(2);
    }

    private static void assertTimesOut(ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TIMEOUT));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static InetAddress address(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
