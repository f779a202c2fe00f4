package org.portmatrix.inspect.tls;

import java.math.BigInteger;
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
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.portmatrix.classify.Addresses;
import org.portmatrix.inspect.CertificateInfo;
import org.portmatrix.inspect.Wire;

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
                millis(c.getStartDate()), millis(c.getEndDate()), keyType, keyBits, sigName,
                List.copyOf(weak));
    }

    /**
     * A validity time in milliseconds since the epoch: from Bouncy Castle's text of it
     * ({@code yyyyMMddHHmmssGMT+hh:mm}, UTCTime's two-digit year already widened) with
     * {@code java.time}, or, for any other shape (fractions of a second) or an impossible date, from
     * Bouncy Castle's {@code Date}, as before. Measured reason: {@code Time.getDate()} parses with
     * {@code SimpleDateFormat}, whose first use brings up the JDK's locale data (calendar providers,
     * resource bundles, the CLDR language tags, 35-40 ms of the flow thread at its first
     * certificate by -Xlog:class+load, while the packet thread, the set-up and the JIT want the cores);
     * without it, the flow thread's CPU samples went from 454 to 426 ms on average (perf at 1 kHz, 4
     * runs each, reference workload), the report byte for byte the same. The instant is Bouncy
     * Castle's ({@code CertificatesTimeTest}).
     */
    static long millis(Time t) {
        String s = t.getTime();
        if (s.length() == 23 && digits(s, 0, 14) && s.startsWith("GMT", 14) && (s.charAt(17) == '+' || s.charAt(17) == '-')
                && digits(s, 18, 20) && s.charAt(20) == ':' && digits(s, 21, 23)) {
            try {
                int offset = (s.charAt(17) == '-' ? -1 : 1) * (number(s, 18, 20) * 3600 + number(s, 21, 23) * 60);
                return java.time.LocalDateTime.of(number(s, 0, 4), number(s, 4, 6), number(s, 6, 8), number(s, 8, 10),
                        number(s, 10, 12), number(s, 12, 14)).toEpochSecond(java.time.ZoneOffset.ofTotalSeconds(offset)) * 1000;
            } catch (java.time.DateTimeException e) {
                // a 30th of February or a 25th hour: Bouncy Castle's lenient parse, as before
            }
        }
        return t.getDate().getTime();
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int number(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        return n;
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
                // As every other address in the reports (RFC 5952's compressed form; an IPv4-mapped one as ::ffff:a.b.c.d),
                // so that a search for an address finds its certificates too; InetAddress wrote fd00:5061:0:0:0:0:0:10, and
                // the mapped address as the IPv4 one.
                if (a.length == 4) {
                    yield "IP:" + Addresses.format(4, 0, Wire.u32(a, 0));
                } else if (a.length == 16) {
                    yield "IP:" + Addresses.format(6, Wire.u32(a, 0) << 32 | Wire.u32(a, 4), Wire.u32(a, 8) << 32 | Wire.u32(a, 12));
                }
                yield "IP:(" + a.length + " bytes)";
            }
            default -> null;
        };
    }
}
