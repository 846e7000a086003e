package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import aranya.sync.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kwik 0.10.8's server calls {@code System.exit(9)} when its socket fails or anything in its
 * receive loop throws an Error. Every case runs in a child JVM, since the failure it looks for ends the JVM.
 */
class ExitGuardTest {
    @Test
    void closingTheSocketUnderARunningListenerLeavesTheJvmRunning() throws Exception {
        ChildRun run = runChild("guarded");
        assertThat(run.output()).as(run.output()).contains("SERVED", "BROKEN", "ALIVE");
        assertThat(run.exitCode()).as(run.output()).isZero();
    }

    /** The hazard itself, so the test above is known to guard against something real. */
    @Test
    void kwiksOwnServerOnAPlainSocketExitsTheJvmWhenTheSocketCloses() throws Exception {
        ChildRun run = runChild("plain");
        assertThat(run.output()).as(run.output()).contains("STARTED").doesNotContain("SURVIVED");
        assertThat(run.exitCode()).as(run.output()).isEqualTo(9);
    }

    @Test
    void anErrorInTheListenersReceiveLeavesTheJvmRunningAndTheListenerServing() throws Exception {
        ChildRun run = runChild("gate-error");
        assertThat(run.output()).as(run.output()).contains("SERVED AFTER ERROR");
        assertThat(run.exitCode()).as(run.output()).isZero();
    }

    /** The hazard: kwik's receiver exits the JVM on any Error, such as an OutOfMemoryError under a flood. */
    @Test
    void kwiksOwnServerExitsTheJvmOnAnErrorInItsReceive() throws Exception {
        ChildRun run = runChild("receive-error");
        assertThat(run.output()).as(run.output()).doesNotContain("SURVIVED");
        assertThat(run.exitCode()).as(run.output()).isEqualTo(9);
    }

    private record ChildRun(int exitCode, String output) {}

    private static ChildRun runChild(String mode) throws Exception {
        Process child = ChildJvm.test(ExitGuardChild.class, mode).redirectErrorStream(true).start();
        // Read everything first: the child blocks if its output pipe fills up.
        byte[] output = child.getInputStream().readAllBytes();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("the child JVM did not end: " + new String(output, StandardCharsets.UTF_8));
        }
        return new ChildRun(child.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
