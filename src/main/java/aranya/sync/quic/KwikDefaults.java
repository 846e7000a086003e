package aranya.sync.quic;

import java.util.concurrent.atomic.AtomicBoolean;
import tech.kwik.core.QuicConnection;

/** The two process-wide settings kwik 0.10.8 needs, applied before the first kwik endpoint is built. */
final class KwikDefaults {
    /** kwik prints a "SECURITY WARNING" to stdout for {@code noServerCertificateCheck} unless this is true. */
    static final String NO_SECURITY_WARNINGS = "tech.kwik.core.no-security-warnings";

    private static final AtomicBoolean APPLIED = new AtomicBoolean();

    private KwikDefaults() {}

    /** Applies the settings; later calls do nothing. */
    static void apply() {
        if (!APPLIED.compareAndSet(false, true)) {
            return;
        }
        // We check no certificate at the TLS level on purpose: team authentication binds to the
        // certificate instead (TeamAuth). A value the host application set is left alone.
        if (System.getProperty(NO_SECURITY_WARNINGS) == null) {
            System.setProperty(NO_SECURITY_WARNINGS, "true");
        }
        // kwik's LossDetector asserts that its loss delay is positive, but on loopback an RTT
        // sample can round to 0 ms; with assertions on (as under Maven Surefire) the failed
        // assert aborts the connection as an "internal error". This affects only kwik's recovery
        // package, and only its classes not yet initialised, which they are not until the first
        // connection exists.
        QuicConnection.class.getClassLoader().setPackageAssertionStatus("tech.kwik.core.recovery", false);
    }
}
