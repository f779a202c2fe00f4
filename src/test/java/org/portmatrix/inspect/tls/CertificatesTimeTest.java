package org.portmatrix.inspect.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.api.Test;

/**
 * A certificate's validity times read without {@code SimpleDateFormat} (Certificates.millis) are
 * the instants Bouncy Castle's own {@code Date} gives, for both encodings, offsets, the UTCTime
 * century rule, leap days, the last second of a day, fractions of a second and impossible dates
 * (the last two take Bouncy Castle's path).
 */
class CertificatesTimeTest {
    @Test
    void theInstantIsBouncyCastlesForEveryShapeOfTime() {
        List<Time> times = List.of(
                new Time(new ASN1UTCTime("260101000000Z")),
                new Time(new ASN1UTCTime("491231235959Z")), // the last UTCTime year of the 2000s
                new Time(new ASN1UTCTime("500101000000Z")), // 1950
                new Time(new ASN1UTCTime("991231235959Z")),
                new Time(new ASN1UTCTime("240229120000Z")), // a leap day
                new Time(new ASN1UTCTime("2602281200Z")), // no seconds
                new Time(new ASN1UTCTime("260628120000+0530")),
                new Time(new ASN1UTCTime("260628120000-0800")),
                new Time(new ASN1GeneralizedTime("20500101000000Z")),
                new Time(new ASN1GeneralizedTime("99991231235959Z")),
                new Time(new ASN1GeneralizedTime("19700101000000Z")),
                new Time(new ASN1GeneralizedTime("20260628120000.123Z")), // a fraction: Bouncy Castle's path
                new Time(new ASN1GeneralizedTime("20260628120000+0200")),
                new Time(new ASN1UTCTime("230230120000Z"))); // the 30th of February: Bouncy Castle's lenient path
        for (Time t : times) {
            assertEquals(t.getDate().getTime(), Certificates.millis(t), t.getTime());
        }
    }
}
