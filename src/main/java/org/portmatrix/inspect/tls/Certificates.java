package org.portmatrix.inspect.tls;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.portmatrix.inspect.CertificateInfo;

/** X.509 certificates from a TLS handshake, parsed with Bouncy Castle into {@link CertificateInfo}. */
public final class Certificates {
    /** CA/Browser Forum and NIST SP 800-131A: RSA keys below this are weak. */
    public static final int MIN_RSA_BITS = 2048;
    private static final DefaultAlgorithmNameFinder ALGORITHMS = new DefaultAlgorithmNameFinder();

    private Certificates() {}

    /** One digest per thread: the provider lookup of {@code MessageDigest.getInstance} costs more than hashing a certificate. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    });

    /** SHA-256 of the DER encoding, lower-case hex. */
    public static String sha256(byte[] der) {
        return HexFormat.of().formatHex(SHA256.get().digest(der));
    }

    /** Parses one certificate; null when the bytes are not an X.509 certificate Bouncy Castle can read. */
    public static CertificateInfo parse(byte[] der) {
        try {
            return parseOrThrow(der);
        } catch (RuntimeException e) {
            return null; // Bouncy Castle reads structure lazily: a malformed field fails late, with any exception
        }
    }

    private static CertificateInfo parseOrThrow(byte[] der) {
        Certificate c;
        try {
            c = Certificate.getInstance(der);
        } catch (RuntimeException e) {
            return null; // not DER, or not a certificate: the inventory skips it
        }
        if (c == null) {
            return null;
        }
        List<String> sans = new ArrayList<>();
        try {
            Extension ext = c.getTBSCertificate().getExtensions() == null ? null
                    : c.getTBSCertificate().getExtensions().getExtension(Extension.subjectAlternativeName);
            if (ext != null) {
                for (GeneralName n : GeneralNames.getInstance(ext.getParsedValue()).getNames()) {
                    String s = generalName(n);
                    if (s != null) {
                        sans.add(s);
                    }
                }
            }
        } catch (RuntimeException e) {
            sans.add("(unreadable subjectAltName)");
        }
        SubjectPublicKeyInfo spki = c.getSubjectPublicKeyInfo();
        String keyType = "unknown";
        int keyBits = 0;
        ASN1ObjectIdentifier keyAlg = spki.getAlgorithm().getAlgorithm();
        try {
            if (keyAlg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
                keyType = "RSA";
                BigInteger n = RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus();
                keyBits = n.bitLength();
            } else if (keyAlg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
                keyType = "EC";
                ASN1Encodable params = spki.getAlgorithm().getParameters();
                if (params instanceof ASN1ObjectIdentifier curve) {
                    X9ECParameters p = ECNamedCurveTable.getByOID(curve);
                    keyBits = p == null ? 0 : p.getCurve().getFieldSize();
                    String name = ECNamedCurveTable.getName(curve);
                    keyType = name == null ? "EC" : "EC " + name;
                }
            } else if (keyAlg.equals(EdECObjectIdentifiers.id_Ed25519)) {
                keyType = "Ed25519";
                keyBits = 256;
            } else if (keyAlg.equals(EdECObjectIdentifiers.id_Ed448)) {
                keyType = "Ed448";
                keyBits = 456;
            } else if (keyAlg.equals(X9ObjectIdentifiers.id_dsa)) {
                keyType = "DSA";
                keyBits = spki.getPublicKeyData().getBytes().length * 8;
            } else {
                keyType = keyAlg.getId();
            }
        } catch (Exception e) {
            keyBits = 0;
        }
        AlgorithmIdentifier sig = c.getSignatureAlgorithm();
        String sigName = ALGORITHMS.getAlgorithmName(sig);
        List<String> weak = new ArrayList<>();
        String upper = sigName.toUpperCase(java.util.Locale.ROOT);
        if (upper.startsWith("SHA1") || upper.contains("SHA1WITH") || sig.getAlgorithm().equals(PKCSObjectIdentifiers.sha1WithRSAEncryption)
                || sig.getAlgorithm().equals(X9ObjectIdentifiers.ecdsa_with_SHA1)) {
            weak.add("SHA-1 signature");
        } else if (upper.startsWith("MD5") || upper.startsWith("MD2")) {
            weak.add(upper.substring(0, 3) + " signature");
        }
        if (keyType.equals("RSA") && keyBits > 0 && keyBits < MIN_RSA_BITS) {
            weak.add("RSA key below " + MIN_RSA_BITS + " bits (" + keyBits + ")");
        }
        if (keyType.equals("DSA")) {
            weak.add("DSA key");
        }
        return new CertificateInfo(sha256(der), dn(c.getSubject()), dn(c.getIssuer()), List.copyOf(sans),
                c.getStartDate().getDate().getTime(), c.getEndDate().getDate().getTime(), keyType, keyBits, sigName,
                List.copyOf(weak));
    }

    /** RFC 4514 string (most specific RDN first), as the JDK prints it. */
    private static String dn(X500Name name) {
        try {
            return new X500Principal(name.getEncoded()).getName(X500Principal.RFC2253);
        } catch (Exception e) {
            try {
                return name.toString();
            } catch (RuntimeException e2) {
                return "(unreadable name)";
            }
        }
    }

    private static String generalName(GeneralName n) {
        return switch (n.getTagNo()) {
            case GeneralName.dNSName -> "DNS:" + DERIA5String.getInstance(n.getName()).getString();
            case GeneralName.rfc822Name -> "email:" + DERIA5String.getInstance(n.getName()).getString();
            case GeneralName.uniformResourceIdentifier -> "URI:" + DERIA5String.getInstance(n.getName()).getString();
            case GeneralName.iPAddress -> {
                byte[] a = ASN1OctetString.getInstance(n.getName()).getOctets();
                try {
                    yield "IP:" + InetAddress.getByAddress(a).getHostAddress(); // numeric: no lookup
                } catch (UnknownHostException e) {
                    yield "IP:(" + a.length + " bytes)";
                }
            }
            default -> null;
        };
    }
}
