package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tech.kwik.core.QuicConnection;

/**
 * kwik 0.10.8's server calls {@code System.exit(9)} when its socket fails (kwik-notes §1.1).
 * Both cases run in a child JVM, since the failure they look for ends the JVM.
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

    private record ChildRun(int exitCode, String output) {}

    private static ChildRun runChild(String mode) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = String.join(File.pathSeparator,
                codeSource(ExitGuardChild.class), codeSource(SyncListener.class), codeSource(QuicConnection.class),
                codeSource(Class.forName("tech.kwik.agent15.TlsConstants")), codeSource(Class.forName("at.favre.lib.hkdf.HKDF")),
                codeSource(Class.forName("io.whitfin.siphash.SipHasher")), codeSource(org.bouncycastle.asn1.x509.Certificate.class));
        Process child = new ProcessBuilder(java, "-cp", classpath, ExitGuardChild.class.getName(), mode)
                .redirectErrorStream(true)
                .start();
        // Read everything first: the child blocks if its output pipe fills up.
        byte[] output = child.getInputStream().readAllBytes();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("the child JVM did not end: " + new String(output, StandardCharsets.UTF_8));
        }
        return new ChildRun(child.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private static String codeSource(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
