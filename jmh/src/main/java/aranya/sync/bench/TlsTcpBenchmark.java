package aranya.sync.bench;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reference beside kwik's figures in {@link TransportBenchmark}: the JDK's own TLS 1.3 over
 * TCP on loopback, in the same shapes. {@code bulk} uploads the same 32 MiB in 64 KiB writes
 * and waits for a one-byte acknowledgement ({@code bulkFrames}); {@code echo100Bytes} sends 100
 * bytes and reads them back ({@code echo100Bytes}). TCP has no streams, so both run on one
 * connection made at setup, where kwik's open a stream on a pooled connection. The cipher
 * suite and the P-256 certificate are kwik's defaults (TLS_AES_128_GCM_SHA256).
 *
 * <p>The certificate comes from the JDK's {@code keytool}, run once at setup: the JDK has no
 * API that makes certificates, the project's {@code NodeIdentity} does not hand out its private
 * key, and keytool keeps this reference all-JDK.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class TlsTcpBenchmark {
    static final String PROTOCOL = "TLSv1.3";
    static final String CIPHER_SUITE = "TLS_AES_128_GCM_SHA256";
    static final byte BULK = 'B';
    static final byte ECHO = 'E';
    static final int ECHO_BYTES = 100;
    private static final char[] PASSWORD = "bench-only".toCharArray();
    private static final String ALIAS = "tls";

    private SSLServerSocket server;
    private Thread serving;
    private SSLSocket client;
    private DataInputStream in;
    private OutputStream out;

    @Setup(Level.Trial)
    public void connect() throws Exception {
        SSLContext tls = context(keyStore());
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 1, loopback);
        server.setEnabledProtocols(new String[] {PROTOCOL});
        server.setEnabledCipherSuites(new String[] {CIPHER_SUITE});
        serving = Thread.ofPlatform().daemon().name("tls-bench-server").start(this::serve);
        client = (SSLSocket) tls.getSocketFactory().createSocket(loopback, server.getLocalPort());
        client.setEnabledProtocols(new String[] {PROTOCOL});
        client.setEnabledCipherSuites(new String[] {CIPHER_SUITE});
        client.setTcpNoDelay(true); // as QUIC: a small message goes out at once
        client.startHandshake();
        if (!PROTOCOL.equals(client.getSession().getProtocol())) {
            throw new IllegalStateException("negotiated " + client.getSession().getProtocol());
        }
        in = new DataInputStream(client.getInputStream());
        out = client.getOutputStream();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        client.close();
        server.close();
        serving.join(TimeUnit.SECONDS.toMillis(10));
    }

    /** Bytes/s of 32 MiB uploaded in 64 KiB writes on the connection, acknowledged at the end. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(TransportBenchmark.BULK_FRAMES * TransportBenchmark.FRAME)
    public int bulk() throws IOException {
        long total = (long) TransportBenchmark.BULK_FRAMES * TransportBenchmark.FRAME;
        out.write(ByteBuffer.allocate(1 + Long.BYTES).put(BULK).putLong(total).array());
        byte[] frame = new byte[TransportBenchmark.FRAME];
        for (int i = 0; i < TransportBenchmark.BULK_FRAMES; i++) {
            out.write(frame);
        }
        return in.readUnsignedByte();
    }

    /** 100 bytes to the server and back on the connection. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] echo100Bytes() throws IOException {
        byte[] request = new byte[1 + ECHO_BYTES];
        request[0] = ECHO;
        out.write(request);
        byte[] reply = new byte[ECHO_BYTES];
        in.readFully(reply);
        return reply;
    }

    /** The server side of the one connection: sinks bulk uploads, echoes requests, until the client closes. */
    private void serve() {
        try (SSLSocket peer = (SSLSocket) server.accept()) {
            peer.setTcpNoDelay(true);
            DataInputStream from = new DataInputStream(peer.getInputStream());
            OutputStream to = peer.getOutputStream();
            byte[] buffer = new byte[TransportBenchmark.FRAME];
            while (true) {
                int kind = from.read();
                if (kind == BULK) {
                    sink(from, from.readLong(), buffer);
                    to.write(1);
                } else if (kind == ECHO) {
                    from.readFully(buffer, 0, ECHO_BYTES);
                    to.write(buffer, 0, ECHO_BYTES);
                } else {
                    return; // -1: the client closed
                }
            }
        } catch (IOException e) {
            if (!server.isClosed()) {
                throw new IllegalStateException("the TLS benchmark server failed", e);
            }
        }
    }

    private static void sink(InputStream from, long bytes, byte[] buffer) throws IOException {
        for (long left = bytes; left > 0; ) {
            int n = from.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException(left + " bytes short of the upload");
            }
            left -= n;
        }
    }

    /** Server and client in one context: the key for the server, its certificate as the client's only trust anchor. */
    private static SSLContext context(KeyStore keys) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        Certificate certificate = keys.getCertificate(ALIAS);
        anchors.setCertificateEntry(ALIAS, certificate);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(anchors);
        SSLContext tls = SSLContext.getInstance(PROTOCOL);
        tls.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return tls;
    }

    /** A fresh P-256 key and self-signed certificate, made by the running JDK's keytool. */
    private static KeyStore keyStore() throws Exception {
        Path dir = Files.createTempDirectory("tls-bench");
        Path file = dir.resolve("server.p12");
        try {
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", ALIAS, "-keyalg", "EC",
                    "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "O=aranya-sync-bench", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", new String(PASSWORD),
                    "-keypass", new String(PASSWORD)).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream stored = Files.newInputStream(file)) {
                keys.load(stored, PASSWORD);
            }
            return keys;
        } finally {
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }
}
