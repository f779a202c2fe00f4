package org.portmatrix.inspect;

import java.util.List;
import java.util.Set;
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
    private static final List<Set<AppProtocol>> NAMES = List.of(Set.of(AppProtocol.TLS),
            Set.of(AppProtocol.SIP), Set.of(AppProtocol.HTTP), Set.of(AppProtocol.SSH),
            Set.of(AppProtocol.STUN, AppProtocol.MS_TURN), Set.of(AppProtocol.RDP), Set.of(AppProtocol.SMB),
            Set.of(AppProtocol.DCERPC), Set.of(AppProtocol.DHCP), Set.of(AppProtocol.TDS),
            Set.of(AppProtocol.SSRP), Set.of(AppProtocol.DNS), Set.of(AppProtocol.RTP, AppProtocol.RTCP));

    /** Whether one of the inspectors of {@code candidates} (a bit per slot) could still name one of {@code wanted}. */
    public static boolean couldName(int candidates, Set<AppProtocol> wanted) {
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
