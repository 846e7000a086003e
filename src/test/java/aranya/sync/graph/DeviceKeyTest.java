package aranya.sync.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DeviceKeyTest {
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw Ed25519 key. */
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    @Test
    void signaturesAreStandardEd25519CheckedByTheJdkVerifier() throws Exception {
        DeviceKey key = DeviceKey.generate();
        byte[] message = "digest bytes".getBytes();
        byte[] signature = key.sign(message);

        byte[] der = new byte[X509_PREFIX.length + 32];
        System.arraycopy(X509_PREFIX, 0, der, 0, X509_PREFIX.length);
        System.arraycopy(key.publicKey(), 0, der, X509_PREFIX.length, 32);
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der)));
        jdk.update(message);
        assertThat(jdk.verify(signature)).isTrue();

        assertThat(DeviceKey.verify(key.publicKey(), message, signature)).isTrue();
        signature[10] ^= 1;
        assertThat(DeviceKey.verify(key.publicKey(), message, signature)).isFalse();
    }

    @Test
    void rfc8032TestVector1() {
        // RFC 8032 section 7.1, TEST 1: empty message.
        DeviceKey key = DeviceKey.fromEncoded(HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertThat(HexFormat.of().formatHex(key.publicKey())).isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(HexFormat.of().formatHex(key.sign(new byte[0]))).isEqualTo(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    }

    @Test
    void encodedKeysRoundTripAndBadLengthsAreRefused() {
        DeviceKey key = DeviceKey.generate();
        assertThat(DeviceKey.fromEncoded(key.encoded()).publicKey()).isEqualTo(key.publicKey());
        assertThatThrownBy(() -> DeviceKey.fromEncoded(new byte[31])).isInstanceOf(IllegalArgumentException.class);
        assertThat(DeviceKey.verify(new byte[31], new byte[1], new byte[64])).isFalse();
    }
}
