package aranya.sync.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeerDataBudgetTest {
    private static final Duration NO_WAIT = Duration.ZERO;
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void reservationsCountAgainstTheNodeAndThePeerAndAreReleased() throws Exception {
        PeerDataBudget budget = new PeerDataBudget(100, 60);
        try (PeerDataBudget.Account a = budget.account("a"); PeerDataBudget.Account b = budget.account("b")) {
            a.reserve(60, NO_WAIT, () -> {});
            assertThatThrownBy(() -> a.reserve(1, NO_WAIT, () -> {})).as("past a's share")
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.TIMEOUT));
            b.reserve(40, NO_WAIT, () -> {});
            assertThatThrownBy(() -> b.reserve(1, NO_WAIT, () -> {})).as("past the node's limit").isInstanceOf(SyncException.class);
            assertThat(budget.held()).isEqualTo(100);
            a.release(30);
            b.reserve(20, NO_WAIT, () -> {});
            assertThat(budget.held()).isEqualTo(90);
        }
        assertThat(budget.held()).as("closing releases the rest").isZero();
        assertThat(budget.peak()).isEqualTo(100);
    }

    @Test
    void aWaitingReservationIsGrantedWhenBytesAreReleasedAndHandsOverFirst() throws Exception {
        PeerDataBudget budget = new PeerDataBudget(100, 100);
        PeerDataBudget.Account holder = budget.account("a");
        holder.reserve(100, NO_WAIT, () -> {});
        AtomicInteger handedOver = new AtomicInteger();
        CompletableFuture<Void> waiting = new CompletableFuture<>();
        CompletableFuture<Void> granted = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (PeerDataBudget.Account other = budget.account("b")) {
                other.reserve(50, LONG, () -> {
                    handedOver.incrementAndGet();
                    waiting.complete(null);
                });
                granted.complete(null);
            } catch (SyncException e) {
                granted.completeExceptionally(e);
            }
        });
        waiting.get(30, TimeUnit.SECONDS);
        assertThat(granted).isNotDone();
        holder.release(60);
        granted.get(30, TimeUnit.SECONDS);
        assertThat(handedOver).hasValue(1);
        assertThat(budget.peak()).isEqualTo(100);
    }

    @Test
    void aReservationLargerThanALimitIsGrantedWhenNothingElseIsHeld() throws Exception {
        PeerDataBudget budget = new PeerDataBudget(100, 50);
        try (PeerDataBudget.Account a = budget.account("a")) {
            a.reserve(80, NO_WAIT, () -> {});
            assertThatThrownBy(() -> a.reserve(1, NO_WAIT, () -> {})).isInstanceOf(SyncException.class);
        }
    }

    @Test
    void releasingMoreThanHeldIsABug() throws Exception {
        PeerDataBudget budget = new PeerDataBudget(100, 100);
        try (PeerDataBudget.Account a = budget.account("a")) {
            a.reserve(10, NO_WAIT, () -> {});
            assertThatThrownBy(() -> a.release(11)).isInstanceOf(IllegalStateException.class);
        }
    }
}
