package aranya.sync.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.wire.PostcardReader;
import aranya.sync.wire.PostcardWriter;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NodeIdentityTest {
    @Test
    void theCertificateIsASelfSignedP256CertificateWithoutACommonName() throws Exception {
        X509Certificate certificate = NodeIdentity.generate().certificate();
        certificate.verify(certificate.getPublicKey());
        certificate.checkValidity();
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("O=aranya-sync");
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
        assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(((ECPublicKey) certificate.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(certificate.getVersion()).isEqualTo(3);
    }

    @Test
    void theHashIsSha256OfTheCertificateDer() throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        assertThat(identity.certificateHash())
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(identity.certificate().getEncoded()));
    }

    @Test
    void anEncodedIdentityDecodesToTheSameKeyAndCertificate() throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        NodeIdentity decoded = NodeIdentity.decode(identity.encode());
        assertThat(decoded).isEqualTo(identity);
        assertThat(decoded.certificateHash()).isEqualTo(identity.certificateHash());
        KeyStore store = decoded.keyStore();
        assertThat(store.getKey(NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword()).getEncoded())
                .isEqualTo(identity.keyStore().getKey(NodeIdentity.KEY_ALIAS, NodeIdentity.keyStorePassword()).getEncoded());
    }

    @Test
    void twoIdentitiesDiffer() {
        assertThat(NodeIdentity.generate().certificateHash()).isNotEqualTo(NodeIdentity.generate().certificateHash());
    }

    @Test
    void aKeyFromAnotherIdentityIsRefused() throws Exception {
        byte[] one = NodeIdentity.generate().encode();
        byte[] other = NodeIdentity.generate().encode();
        PostcardReader oneReader = new PostcardReader(one);
        oneReader.readU8();
        Bytes oneKey = oneReader.readBytes();
        PostcardReader otherReader = new PostcardReader(other);
        otherReader.readU8();
        otherReader.readBytes();
        Bytes otherCertificate = otherReader.readBytes();
        PostcardWriter spliced = new PostcardWriter();
        spliced.writeU8(1);
        spliced.writeBytes(oneKey);
        spliced.writeBytes(otherCertificate);

        NodeIdentity decoded = NodeIdentity.decode(spliced.toByteArray()); // parses: only serving needs the pair
        assertThatThrownBy(decoded::checkKeyPair)
                .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.MALFORMED));
        NodeIdentity.decode(one).checkKeyPair(); // a genuine pair passes
    }

    @Test
    void truncatedOrForeignBytesAreMalformed() {
        byte[] encoded = NodeIdentity.generate().encode();
        for (byte[] bad : new byte[][] {new byte[0], Arrays.copyOf(encoded, encoded.length - 1), {2}, {1, 3, 1, 2, 3, 0}}) {
            assertThatThrownBy(() -> NodeIdentity.decode(bad))
                    .isInstanceOfSatisfying(SyncException.class, e -> assertThat(e.error()).isEqualTo(SyncError.MALFORMED));
        }
    }
}
