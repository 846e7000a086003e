package aranya.sync.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Why DeviceKey uses Bouncy Castle's RFC 8032 code instead of the JDK's "Ed25519" provider:
 * verification of one 32-byte digest, single thread, both implementations in the same run;
 * and Bouncy Castle's on two threads, a ceiling of the catch-up rate.
 */
@Fork(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class SignatureBenchmark {
    private final byte[] digest = new byte[32];
    private KeyPair jdkKeys;
    private byte[] jdkSignature;
    private final byte[] bcSecret = new byte[32];
    private final byte[] bcPublic = new byte[32];
    private final byte[] bcSignature = new byte[64];

    @Setup
    public void keys() throws Exception {
        new SecureRandom().nextBytes(digest);
        jdkKeys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(jdkKeys.getPrivate());
        s.update(digest);
        jdkSignature = s.sign();
        new SecureRandom().nextBytes(bcSecret);
        Ed25519.generatePublicKey(bcSecret, 0, bcPublic, 0);
        Ed25519.sign(bcSecret, 0, bcPublic, 0, digest, 0, digest.length, bcSignature, 0);
    }

    @Benchmark
    public boolean verifyJdk() throws Exception {
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(jdkKeys.getPublic());
        v.update(digest);
        return v.verify(jdkSignature);
    }

    @Benchmark
    public boolean verifyBouncyCastle() {
        return Ed25519.verify(bcSignature, 0, bcPublic, 0, digest, 0, digest.length);
    }

    /**
     * Verifications per second on two cores at once (the sum of both threads): the most a
     * catch-up could verify on this project's 2-core machine if verification were all it did.
     */
    @Benchmark
    @Threads(2)
    public boolean verifyBouncyCastleTwoThreads() {
        return verifyBouncyCastle();
    }
}
