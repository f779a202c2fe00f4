package org.portmatrix.inspect;

import java.util.List;
import org.portmatrix.inspect.dcerpc.DceRpcInspector;
import org.portmatrix.inspect.dhcp.DhcpInspector;
import org.portmatrix.inspect.dns.DnsInspector;
import org.portmatrix.inspect.http.HttpInspector;
import org.portmatrix.inspect.rdp.RdpInspector;
import org.portmatrix.inspect.rtp.RtpInspector;
import org.portmatrix.inspect.sip.SipInspector;
import org.portmatrix.inspect.smb.SmbInspector;
import org.portmatrix.inspect.ssh.SshInspector;
import org.portmatrix.inspect.ssrp.SsrpInspector;
import org.portmatrix.inspect.stun.StunInspector;
import org.portmatrix.inspect.tds.TdsInspector;
import org.portmatrix.inspect.tls.TlsInspector;

/**
 * The one ordered list of inspectors. A flow's port may move one of them to the front; the rest
 * are tried in this order, the strongest byte signatures first and RTP, which needs several
 * packets to agree, last. No classpath scanning: a new inspector is added here.
 */
public final class Inspectors {
    public static final int TLS = 0;
    public static final int SIP = 1;
    public static final int HTTP = 2;
    public static final int SSH = 3;
    public static final int STUN = 4;
    public static final int RDP = 5;
    public static final int SMB = 6;
    public static final int DCERPC = 7;
    public static final int DHCP = 8;
    public static final int TDS = 9;
    public static final int SSRP = 10;
    public static final int DNS = 11;
    public static final int RTP = 12;

    private static final int COUNT = 13;

    private Inspectors() {}

    /** A new list of the inspectors, index = slot. */
    public static List<Inspector> all() {
        List<Inspector> l = List.of(new TlsInspector(), new SipInspector(), new HttpInspector(), new SshInspector(),
                new StunInspector(), new RdpInspector(), new SmbInspector(), new DceRpcInspector(), new DhcpInspector(),
                new TdsInspector(), new SsrpInspector(), new DnsInspector(), new RtpInspector());
        if (l.size() != COUNT || NAMES.size() != COUNT) {
            throw new IllegalStateException("Inspectors.COUNT is out of date");
        }
        return l;
    }

    public static int count() {
        return COUNT;
    }

    /** What each slot's inspector can name, index = slot. */
    private static final List<java.util.Set<AppProtocol>> NAMES = List.of(java.util.Set.of(AppProtocol.TLS),
            java.util.Set.of(AppProtocol.SIP), java.util.Set.of(AppProtocol.HTTP), java.util.Set.of(AppProtocol.SSH),
            java.util.Set.of(AppProtocol.STUN, AppProtocol.MS_TURN), java.util.Set.of(AppProtocol.RDP), java.util.Set.of(AppProtocol.SMB),
            java.util.Set.of(AppProtocol.DCERPC), java.util.Set.of(AppProtocol.DHCP), java.util.Set.of(AppProtocol.TDS),
            java.util.Set.of(AppProtocol.SSRP), java.util.Set.of(AppProtocol.DNS), java.util.Set.of(AppProtocol.RTP, AppProtocol.RTCP));

    /** Whether one of the inspectors of {@code candidates} (a bit per slot) could still name one of {@code wanted}. */
    public static boolean couldName(int candidates, java.util.Set<AppProtocol> wanted) {
        for (int i = 0; i < COUNT; i++) {
            if ((candidates & 1 << i) != 0) {
                for (AppProtocol a : NAMES.get(i)) {
                    if (wanted.contains(a)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
