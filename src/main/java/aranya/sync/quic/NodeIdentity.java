package aranya.sync.quic;

import aranya.sync.SyncError;
import aranya.sync.SyncException;
import aranya.sync.graph.Bytes;
import aranya.sync.wire.PostcardReader;
import aranya.sync.wire.PostcardWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * A node's TLS identity: a P-256 key pair and a self-signed X.509 certificate for it. Peers do
 * not trust the certificate itself; team authentication binds to its SHA-256 hash
 * ({@link #certificateHash()}), so a relay that terminates TLS with its own certificate is
 * detected.
 *
 * <p>The subject is {@code O=aranya-sync} with no CN: agent15's hostname check passes a
 * certificate without a CN for any host name, so peers can be dialled by
 * IP address. The certificate never expires (RFC 5280's 99991231235959Z), so a persisted
 * identity stays usable.
 */
public final class NodeIdentity {
    /** Version byte of {@link #encode()}. */
    private static final int FORMAT_VERSION = 1;
    private static final String SUBJECT = "O=aranya-sync";
    private static final String CURVE = "secp256r1";
    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    /** The key store lives in memory only; its password protects nothing and is fixed. */
    private static final char[] KEY_STORE_PASSWORD = "aranya-sync".toCharArray();
    static final String KEY_ALIAS = "node";

    private final PrivateKey privateKey;
    private final X509Certificate certificate;
    private final byte[] certificateHash;

    private NodeIdentity(PrivateKey privateKey, X509Certificate certificate) throws GeneralSecurityException {
        this.privateKey = privateKey;
        this.certificate = certificate;
        this.certificateHash = sha256(certificate.getEncoded());
    }

    /** A fresh identity with a new random key pair. */
    public static NodeIdentity generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE));
            KeyPair keys = generator.generateKeyPair();
            return new NodeIdentity(keys.getPrivate(), selfSign(keys));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("this JDK cannot make a P-256 self-signed certificate", e);
        }
    }

    /**
     * The identity that {@link #encode()} wrote. Whether its key belongs to its certificate is
     * {@link #checkKeyPair()}'s question: only a node that serves uses the identity, and the
     * check is most of a cold command-line run.
     *
     * @throws SyncException {@link SyncError#MALFORMED} if the bytes are not an encoded identity
     */
    public static NodeIdentity decode(byte[] encoded) throws SyncException {
        PostcardReader reader = new PostcardReader(encoded);
        int version = reader.readU8();
        if (version != FORMAT_VERSION) {
            throw new SyncException(SyncError.MALFORMED, "node identity format " + version + ", expected " + FORMAT_VERSION);
        }
        byte[] pkcs8 = reader.readBytes().toByteArray();
        byte[] certificateDer = reader.readBytes().toByteArray();
        reader.expectEnd();
        try {
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(certificateDer));
            if (!(certificate.getPublicKey() instanceof ECPublicKey)) {
                throw new SyncException(SyncError.MALFORMED, "the node identity's certificate holds no EC key");
            }
            return new NodeIdentity(key, certificate);
        } catch (GeneralSecurityException e) {
            throw new SyncException(SyncError.MALFORMED, "the node identity does not decode: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the private key belongs to the certificate, as a TLS server needs.
     *
     * @throws SyncException {@link SyncError#MALFORMED} if it does not
     */
    public void checkKeyPair() throws SyncException {
        try {
            if (!belongTogether(privateKey, certificate)) {
                throw new SyncException(SyncError.MALFORMED, "the node identity's key does not match its certificate");
            }
        } catch (GeneralSecurityException e) {
            throw new SyncException(SyncError.MALFORMED, "the node identity's key cannot be checked: " + e.getMessage(), e);
        }
    }

    /** The private key and certificate, for {@link #decode}; the bytes hold the private key, so store them as a secret. */
    public byte[] encode() {
        try {
            PostcardWriter writer = new PostcardWriter();
            writer.writeU8(FORMAT_VERSION);
            writer.writeBytes(Bytes.of(privateKey.getEncoded()));
            writer.writeBytes(Bytes.of(certificate.getEncoded()));
            return writer.toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the certificate cannot be encoded", e);
        }
    }

    /** The self-signed certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** SHA-256 of the certificate's DER encoding: what team authentication binds to. */
    public byte[] certificateHash() {
        return certificateHash.clone();
    }

    /** An in-memory PKCS12 key store holding the key under {@link #KEY_ALIAS}, for kwik's server. */
    KeyStore keyStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(KEY_ALIAS, privateKey, KEY_STORE_PASSWORD, new X509Certificate[] {certificate});
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("an in-memory PKCS12 key store cannot be built", e);
        }
    }

    /** The password of {@link #keyStore()}'s key entry. */
    static char[] keyStorePassword() {
        return KEY_STORE_PASSWORD.clone();
    }

    /** The curve name kwik needs for the key store (it cannot always parse it from the key). */
    static String curveName() {
        return CURVE;
    }

    /** SHA-256 of bytes. */
    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A v3 certificate for keys, issued by itself. Bouncy Castle's ASN.1 classes lay out the
     * TBSCertificate; the JDK signs it, so both keys stay JDK (SunEC) objects, which agent15
     * needs to recognise the curve.
     */
    private static X509Certificate selfSign(KeyPair keys) throws GeneralSecurityException, IOException {
        AlgorithmIdentifier ecdsaWithSha256 = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        X500Name name = new X500Name(SUBJECT);
        Instant now = Instant.now();
        V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
        tbs.setSerialNumber(new ASN1Integer(new BigInteger(63, new SecureRandom()).add(BigInteger.ONE)));
        tbs.setSignature(ecdsaWithSha256);
        tbs.setIssuer(name);
        tbs.setSubject(name);
        // An hour of slack for peers whose clock is behind ours.
        tbs.setStartDate(new Time(Date.from(now.minus(Duration.ofHours(1)))));
        tbs.setEndDate(new Time(Date.from(Instant.parse("9999-12-31T23:59:59Z"))));
        tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()));
        TBSCertificate unsigned = tbs.generateTBSCertificate();

        Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
        signer.initSign(keys.getPrivate());
        signer.update(unsigned.getEncoded(ASN1Encoding.DER));
        ASN1EncodableVector certificate = new ASN1EncodableVector();
        certificate.add(unsigned);
        certificate.add(ecdsaWithSha256);
        certificate.add(new DERBitString(signer.sign()));
        byte[] der = new DERSequence(certificate).getEncoded(ASN1Encoding.DER);
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /**
     * Whether key signs what the certificate's public key verifies. Only a serving node asks
     * ({@link #checkKeyPair}), so the cold ECDSA cost stays off client-only commands.
     */
    private static boolean belongTogether(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
        byte[] probe = "aranya-sync node identity".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
        signer.initSign(key);
        signer.update(probe);
        Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(probe);
        return verifier.verify(signer.sign());
    }

    @Override
    public String toString() {
        return "NodeIdentity[" + HexFormat.of().formatHex(certificateHash, 0, 8) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeIdentity other && certificate.equals(other.certificate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(certificate);
    }
}
