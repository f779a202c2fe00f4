package org.portmatrix.classify.lync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portmatrix.classify.Catalog;
import org.portmatrix.classify.Cidr;
import org.portmatrix.classify.ConfigException;
import org.portmatrix.classify.PortOverride;
import org.portmatrix.classify.Roles;
import org.portmatrix.classify.Topology;

/**
 * Imports of Lync topologies. The expected roles and addresses come from reading the XML files
 * (the comments say which element decides), not from the tool's own output.
 */
class TopologyImportTest {
    static final Path SAMPLES = Path.of("..", "shared", "samples");
    static final Path CONTOSO = SAMPLES.resolve("contoso-topology.xml");
    static final Path CONTOSO_HOSTS = SAMPLES.resolve("contoso-hosts.csv");
    static final Path DNS = Path.of("captures/topology/dns-answers.pcap");
    static final Path FABRIKAM = Path.of("captures/topology/fabrikam-se.tbxml");
    static final Path NORTHWIND = Path.of("captures/topology/northwind-edge-nat.xml");

    @TempDir
    Path dir;

    /** An import, written and read back with Topology.load as analyze would. */
    record Loaded(TopologyImporter.Result result, Topology topology, Roles roles) {
        Set<String> rolesOf(String address) {
            Cidr c = Cidr.parse(address);
            return Set.copyOf(roles.names(topology.rolesOf(c.hi(), c.lo())));
        }

        /** Every address of the topology, as text. */
        Set<String> addresses() {
            Set<String> out = new HashSet<>();
            for (List<Cidr> l : topology.roles().values()) {
                for (Cidr c : l) {
                    out.add(c.toString());
                }
            }
            return out;
        }

        List<PortOverride> ports(String role) {
            return topology.ports().stream().filter(p -> p.role().equals(role)).toList();
        }
    }

    private Loaded load(Path xml, Path hosts, List<Path> dns) throws Exception {
        Roles roles = new Roles();
        TopologyImporter.Result r = TopologyImporter.run(xml, hosts, dns, Catalog.builtIn(roles));
        Path yaml = dir.resolve("imported.yaml");
        Files.writeString(yaml, r.yaml());
        Roles vocabulary = new Roles();
        return new Loaded(r, Topology.load(yaml, vocabulary), vocabulary);
    }

    private static boolean hasPort(List<PortOverride> l, int transport, int min, int max) {
        return l.stream().anyMatch(p -> p.transport() == transport && p.portMin() == min && p.portMax() == max);
    }

    @Test
    void contosoWithItsHostsFileGivesEveryHostItsRoles() throws Exception {
        Loaded t = load(CONTOSO, CONTOSO_HOSTS, List.of());
        // Cluster 1 (pool01): Registrar, ConfServices, WebServices and MediationServer instance 1 -> a Front End
        // pool with a collocated Mediation Server. Its machines are 0.0.0.0; contoso-hosts.csv gives them.
        for (String fe : List.of("10.1.1.11", "10.1.1.12", "10.1.1.13")) {
            assertEquals(Set.of("front-end", "mediation"), t.rolesOf(fe), fe);
        }
        // pool01.contoso.com resolves (hosts file) to 10.1.1.10, an address of none of its machines: the balancer.
        assertEquals(Set.of("fe-load-balancer"), t.rolesOf("10.1.1.10"));
        // Cluster 2: service RoleName Director.
        assertEquals(Set.of("director"), t.rolesOf("10.1.2.11"));
        // Cluster 3: EdgeServer; the Internal NetInterface is the internal edge, the External one (behind
        // NAT: ConfiguredIPAddress 203.0.113.11) is the external side.
        assertEquals(Set.of("edge-internal"), t.rolesOf("10.1.3.11"));
        assertEquals(Set.of("edge-external"), t.rolesOf("172.31.0.11"));
        assertEquals(Set.of("edge-external"), t.rolesOf("203.0.113.11"));
        // Cluster 4: MediationServer instance 2 only.
        assertEquals(Set.of("mediation"), t.rolesOf("10.1.4.11"));
        // Cluster 5: PstnGateway.
        assertEquals(Set.of("pstn-gateway"), t.rolesOf("10.1.6.11"));
        assertEquals(Set.of("10.1.1.10/32", "10.1.1.11/32", "10.1.1.12/32", "10.1.1.13/32", "10.1.2.11/32", "10.1.3.11/32",
                "172.31.0.11/32", "203.0.113.11/32", "10.1.4.11/32", "10.1.6.11/32"), t.addresses());
        assertEquals(Set.of(), t.rolesOf("10.1.1.99"));

        // The gateway listens on 5067 (TLS): the catalog documents 5066, 5081 and 5082 for gateways.
        assertTrue(hasPort(t.ports("pstn-gateway"), 6, 5067, 5067), t.topology().ports().toString());
        // The Edge's internal PSOM (8057) and MRAS (5062) ports are not in the catalog's seeds.
        assertTrue(hasPort(t.ports("edge-internal"), 6, 8057, 8057));
        assertTrue(hasPort(t.ports("edge-internal"), 6, 5062, 5062));
        // Every Front End, Director and Mediation port of this topology is the catalog's: no override.
        assertTrue(t.ports("front-end").isEmpty(), t.ports("front-end").toString());
        assertTrue(t.ports("director").isEmpty());
        assertTrue(t.ports("mediation").isEmpty());

        // Comments name the machine and the pool of each address.
        String yaml = t.result().yaml();
        assertTrue(yaml.lines().anyMatch(l -> l.contains("10.1.1.12/32") && l.contains("fe02.contoso.com, pool pool01.contoso.com")
                && l.contains("contoso-hosts.csv")), yaml);
        assertTrue(yaml.lines().anyMatch(l -> l.contains("203.0.113.11/32") && l.contains("NAT")), yaml);
        // Only pool names stay unresolved (their machines have addresses), and the external name of the Edge's
        // External ports (ConfiguredFqdn="sip.contoso.com"), which the hosts file does not give.
        assertEquals(4, t.result().unresolved().size(), t.result().unresolved().toString());
        assertEquals(3, t.result().unresolved().stream().filter(u -> u.contains("pool of")).count(), t.result().unresolved().toString());
        assertTrue(t.result().unresolved().contains("sip.contoso.com (ConfiguredFqdn of External ports of the Edge pool edgepool.contoso.com)"),
                t.result().unresolved().toString());
    }

    @Test
    void withoutAddressesTheZeroMachinesAreListedAsUnresolved() throws Exception {
        Loaded t = load(CONTOSO, null, List.of());
        for (String fe : List.of("fe01.contoso.com", "fe02.contoso.com", "fe03.contoso.com")) {
            assertTrue(t.result().unresolved().stream().anyMatch(u -> u.startsWith(fe + " (")), fe);
            assertTrue(t.result().yaml().lines().anyMatch(l -> l.startsWith("#") && l.contains(fe)), fe);
        }
        assertTrue(t.result().unresolved().stream().anyMatch(u -> u.startsWith("pool01.contoso.com (")));
        assertEquals(Set.of(), t.rolesOf("10.1.1.11"));
        assertEquals(Set.of("director"), t.rolesOf("10.1.2.11")); // an address in the topology needs nothing
    }

    @Test
    void namesResolveFromTheDnsAnswersOfACapture() throws Exception {
        Loaded t = load(CONTOSO, null, List.of(DNS));
        // dns-answers.pcap: dnsmasq answered fe01 (A and AAAA), fe02 (over TCP) and pool01; fe03 got NXDOMAIN.
        assertEquals(Set.of("front-end", "mediation"), t.rolesOf("10.1.1.11"));
        assertEquals(Set.of("front-end", "mediation"), t.rolesOf("fd00:10:1:1::11"));
        assertEquals(Set.of("front-end", "mediation"), t.rolesOf("10.1.1.12"));
        assertEquals(Set.of("fe-load-balancer"), t.rolesOf("10.1.1.10"));
        assertEquals(Set.of(), t.rolesOf("10.1.1.13"));
        assertTrue(t.result().unresolved().stream().anyMatch(u -> u.startsWith("fe03.contoso.com (")), t.result().unresolved().toString());
        assertTrue(t.result().yaml().contains("DNS answer in dns-answers.pcap"));

        // With the hosts file as well, fe03 resolves too.
        Loaded both = load(CONTOSO, CONTOSO_HOSTS, List.of(DNS));
        assertEquals(Set.of("front-end", "mediation"), both.rolesOf("10.1.1.13"));
        assertFalse(both.result().unresolved().stream().anyMatch(u -> u.startsWith("fe")));
    }

    @Test
    void topologyBuilderFileOfAStandardEditionServer() throws Exception {
        Loaded t = load(FABRIKAM, null, List.of(DNS));
        // se01: Registrar (IsDirector="false"), UserServices, WebServices, ConfServices, ApplicationServer and
        // MediationServer on the one-machine cluster, UserStore on its SQL instance "rtc".
        assertEquals(Set.of("front-end", "mediation", "sql-backend"), t.rolesOf("127.0.20.10"));
        // The WacService cluster owa.fabrikam.test has an unnamed machine; DNS answered a CNAME to owa01.
        assertEquals(Set.of("office-web-apps"), t.rolesOf("127.0.20.50"));
        assertEquals(Set.of("pstn-gateway"), t.rolesOf("127.0.20.30"));
        assertEquals(Set.of("127.0.20.10/32", "127.0.20.50/32", "127.0.20.30/32"), t.addresses());
        assertTrue(t.result().unresolved().isEmpty(), t.result().unresolved().toString());
        assertTrue(t.result().yaml().contains("MonitoringServer"), "services without a role are named");

        // Set-CsConferencingServer moved the audio ports to 40000 (1000 ports): overrides on both transports,
        // naming the catalog's audio range they replace.
        for (int transport : new int[] {6, 17}) {
            PortOverride audio = t.ports("front-end").stream()
                    .filter(p -> p.transport() == transport && p.portMin() == 40000 && p.portMax() == 40999).findFirst().orElseThrow();
            assertTrue(audio.insteadOf().stream().anyMatch(r -> r.contains(49152) && r.contains(57500)), audio.toString());
        }
        // Lync's ranges end at 65534 (a count of ports) where the catalog's end at 65535: not a moved port.
        assertTrue(t.topology().ports().stream().flatMap(p -> p.insteadOf().stream()).noneMatch(r -> r.contains(65535) && !r.contains(65534)),
                t.topology().ports().toString());
        PortOverride udpAudio = t.ports("mediation").stream().filter(p -> p.transport() == 17 && p.portMin() == 40000).findFirst().orElseThrow();
        assertEquals(List.of(new PortOverride.PortRange(49152, 57500)), udpAudio.insteadOf());
        // The gateway listens on TCP 5060.
        assertTrue(hasPort(t.ports("pstn-gateway"), 6, 5060, 5060));
        // Unchanged Front End ports (5061, 444, 443, 5062, ...) are the catalog's: no override for them.
        assertTrue(t.ports("front-end").stream().allMatch(p -> p.portMin() >= 40000 && p.portMax() <= 42999), t.ports("front-end").toString());
    }

    @Test
    void edgePoolBehindNatDirectorAndBranchAppliance() throws Exception {
        Loaded t = load(NORTHWIND, null, List.of());
        assertEquals(Set.of("front-end"), t.rolesOf("10.20.1.11")); // Registrar IsDirector="false"
        assertEquals(Set.of("front-end"), t.rolesOf("10.20.1.12"));
        assertEquals(Set.of("director"), t.rolesOf("10.20.2.11")); // Registrar IsDirector="true", RoleName Registrar
        assertEquals(Set.of("edge-internal"), t.rolesOf("10.20.3.11"));
        assertEquals(Set.of("edge-internal"), t.rolesOf("10.20.3.12"));
        // edge01's three external interfaces and edge02's one: the configured (private) address and the
        // public one the NAT device answers on.
        for (String a : List.of("172.16.0.11", "172.16.0.21", "172.16.0.31", "172.16.0.12", "198.51.100.11", "198.51.100.21",
                "198.51.100.31", "198.51.100.12")) {
            assertEquals(Set.of("edge-external"), t.rolesOf(a), a);
        }
        assertEquals(Set.of("persistent-chat"), t.rolesOf("10.20.7.11"));
        // Bergen is a BranchSite: its Registrar and Mediation Server are a Survivable Branch Appliance.
        assertEquals(Set.of("survivable-branch-appliance", "mediation"), t.rolesOf("10.30.1.5"));
        assertEquals(15, t.addresses().size()); // 2 Front Ends, 1 Director, 2 + 8 Edge, 1 Persistent Chat, 1 SBA
        // The external A/V media range 50000 + 10000 ports.
        assertTrue(hasPort(t.ports("edge-external"), 17, 50000, 59999));
        assertTrue(hasPort(t.ports("edge-external"), 6, 50000, 59999));
    }

    @Test
    void aDoctypeIsRefusedAndNoEntityIsExpanded() throws Exception {
        Path xxe = dir.resolve("xxe.xml");
        Files.writeString(xxe, """
                <?xml version="1.0"?>
                <!DOCTYPE Topology [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
                <Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008">
                  <Clusters><Cluster Fqdn="&secret;"><ClusterId SiteId="1" Number="1"/></Cluster></Clusters>
                </Topology>
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xxe, null, List.of(), Catalog.builtIn(new Roles())));
        assertTrue(e.getMessage().startsWith(xxe + ":2: "), e.getMessage());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertFalse(e.getMessage().contains(Files.readString(Path.of("/etc/hostname")).strip()));
    }

    @Test
    void aFileThatIsNotATopologyIsRefused() throws Exception {
        Path other = dir.resolve("other.xml");
        Files.writeString(other, "<?xml version=\"1.0\"?>\n<project/>\n");
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(other, null, List.of(), Catalog.builtIn(new Roles())));
        assertTrue(e.getMessage().contains("not a Lync Server topology"), e.getMessage());

        Path broken = dir.resolve("broken.xml");
        Files.writeString(broken, "<Topology xmlns=\"urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008\">\n<Clusters>\n</Topology>\n");
        e = assertThrows(ConfigException.class, () -> TopologyImporter.run(broken, null, List.of(), Catalog.builtIn(new Roles())));
        assertTrue(e.getMessage().startsWith(broken + ":3: malformed XML"), e.getMessage());
    }

    @Test
    void aPortThatIsNotANumberNamesItsLine() throws Exception {
        Path bad = dir.resolve("bad-port.xml");
        Files.writeString(bad, Files.readString(CONTOSO).replace("Port=\"5067\" Protocol=\"Tls\" UrlPath=\"/\" AuthorizesRequests=\"false\" />\n      </Ports>\n    </Service>\n  </Services>",
                "Port=\"50x67\" Protocol=\"Tls\" UrlPath=\"/\" AuthorizesRequests=\"false\" />\n      </Ports>\n    </Service>\n  </Services>"));
        int line = 1 + (int) Files.readString(bad).lines().takeWhile(l -> !l.contains("50x67")).count();
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(bad, null, List.of(), Catalog.builtIn(new Roles())));
        assertEquals(bad + ":" + line + ": service PstnGateway, Port: Port=\"50x67\" is not a number", e.getMessage());
    }

    @Test
    void theNatCommentWritesTheAddressAsEveryOtherAddressIsWritten() throws Exception {
        // The Edge's external interface on IPv6, written in full and in capitals as Topology Builder may: the comment
        // said "translated by NAT to FD00:0172:0031:0:0:0:0:0011", the file's text, where every address is compressed.
        String contoso = Files.readString(CONTOSO);
        String external = "IPAddress=\"172.31.0.11\" ConfiguredIPAddress=\"203.0.113.11\"";
        assertTrue(contoso.contains(external));
        Path v6 = dir.resolve("edge-v6.xml");
        Files.writeString(v6, contoso.replace(external, "IPAddress=\"FD00:0172:0031:0:0:0:0:0011\" ConfiguredIPAddress=\"203.0.113.11\""));
        String yaml = load(v6, CONTOSO_HOSTS, List.of()).result().yaml();
        assertTrue(yaml.lines().anyMatch(l -> l.contains("203.0.113.11/32") && l.contains("translated by NAT to fd00:172:31::11")), yaml);
    }

    @Test
    void anAddressThatIsNotOneNamesItsLineInsteadOfLosingTheHost() throws Exception {
        String contoso = Files.readString(CONTOSO);
        assertTrue(contoso.contains("ConfiguredIPAddress=\"203.0.113.11\""), "the Edge's public address behind NAT");
        Path bad = dir.resolve("bad-nat.xml");
        Files.writeString(bad, contoso.replace("ConfiguredIPAddress=\"203.0.113.11\"", "ConfiguredIPAddress=\"203.0.113.311\""));
        int line = 1 + (int) Files.readString(bad).lines().takeWhile(l -> !l.contains("203.0.113.311")).count();
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(bad, null, List.of(), Catalog.builtIn(new Roles())));
        assertTrue(e.getMessage().startsWith(bad + ":" + line + ": edge01.contoso.com, External interface: ConfiguredIPAddress=\"203.0.113.311\" is not"),
                e.getMessage());
    }

    /**
     * An interface's address is one host's, refused as the hosts CSV refuses one: a prefix (10.1.2.0/24) had given the
     * Director's role to the whole /24 in the topology written; an address with a zone index or a leading-zero part had
     * been refused without the form to write that the hosts CSV and the topology give.
     */
    @Test
    void anInterfaceAddressIsOneHostsRefusedAsTheHostsCsvRefusesIt() throws Exception {
        String contoso = Files.readString(CONTOSO);
        assertTrue(contoso.contains("IPAddress=\"10.1.2.11\""), "the Director's address");
        Map<String, String> said = Map.of(
                "10.1.2.0/24", " (a prefix, not one host's)",
                "fe80::1%12", "; a zone index ('%12', the interface a link-local address is reached on, as ipconfig shows it) is not part of the"
                        + " address: write fe80::1",
                "::ffff:010.1.2.11", "; a part with a leading zero is octal to some tools (010 is 8 to inet_aton) and decimal to others: write"
                        + " ::ffff:10.1.2.11 if that is meant");
        for (Map.Entry<String, String> a : said.entrySet()) {
            Path bad = dir.resolve("bad-address.xml");
            Files.writeString(bad, contoso.replace("IPAddress=\"10.1.2.11\"", "IPAddress=\"" + a.getKey() + "\""));
            int line = 1 + (int) Files.readString(bad).lines().takeWhile(l -> !l.contains("IPAddress=\"" + a.getKey())).count();
            ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(bad, null, List.of(), Catalog.builtIn(new Roles())),
                    a.getKey());
            assertEquals(bad + ":" + line + ": dir01.contoso.com, Primary interface: IPAddress=\"" + a.getKey() + "\" is not an IPv4 or IPv6"
                    + " address" + a.getValue(), e.getMessage());
        }
    }

    @Test
    void theFrontEndsAudioMovedWhileApplicationSharingStillHoldsItsOldRangeIsOneOverrideForBothTransports() throws Exception {
        String contoso = Files.readString(CONTOSO);
        String audio = "Usage=\"AudioCommunication\" InterfaceSide=\"Primary\" InterfaceNumber=\"1\" Port=\"49152\" Protocol=\"TcpOrUdp\" "
                + "UrlPath=\"/\" AuthorizesRequests=\"false\" Range=\"8348\"";
        String line = contoso.lines().filter(l -> l.contains("MediaComp") && l.contains(audio)).findFirst().orElseThrow();
        Path moved = dir.resolve("moved-audio.xml");
        Files.writeString(moved, contoso.replace(line, line.replace("Port=\"49152\"", "Port=\"40000\"").replace("Range=\"8348\"", "Range=\"1000\"")));
        Loaded t = load(moved, CONTOSO_HOSTS, List.of());
        // Application sharing (49152, 16383 ports: to 65534) still configures the old audio range on both transports, so the
        // catalog's range is not replaced: the same answer for TCP and UDP, without an instead_of of port 65535.
        List<PortOverride> fe = t.ports("front-end");
        assertEquals(2, fe.size(), fe.toString());
        for (PortOverride o : fe) {
            assertEquals(40000, o.portMin());
            assertEquals(40999, o.portMax());
            assertEquals(List.of(), o.insteadOf(), o.toString());
        }
        assertEquals(Set.of(6, 17), Set.of(fe.get(0).transport(), fe.get(1).transport()));
    }

    /**
     * One pool's Mediation Server moved its audio range (pool01's collocated one, to 40000), the other's
     * (medpool, med01) did not: the entry applies to pool01's machines only. It applied to every host of
     * the role, and med01's audio on the catalog's range was flagged as moved. With medpool listing its
     * default range (49152, 8348 ports: to 57499), port 57500 of the catalog's 49152-57500 is not moved.
     */
    @Test
    void aRangeOnePoolMovedIsScopedToThatPoolsMachines() throws Exception {
        String contoso = Files.readString(CONTOSO);
        String audio = "<Port Owner=\"urn:component:MediationServer\" Usage=\"AudioCommunication\" InterfaceSide=\"Primary\" "
                + "InterfaceNumber=\"1\" Port=\"49152\" Protocol=\"TcpOrUdp\" UrlPath=\"/\" AuthorizesRequests=\"false\" Range=\"8348\" />";
        assertTrue(contoso.contains(audio));
        String moved = audio.replace("Port=\"49152\"", "Port=\"40000\"").replace("Range=\"8348\"", "Range=\"1000\"");
        Path xml = dir.resolve("moved-mediation.xml");
        Files.writeString(xml, contoso.replace(audio, moved));
        Loaded t = load(xml, CONTOSO_HOSTS, List.of());
        List<PortOverride> med = t.ports("mediation");
        assertEquals(2, med.size(), med.toString());
        Cidr fe01 = Cidr.parse("10.1.1.11");
        Cidr med01 = Cidr.parse("10.1.4.11");
        for (PortOverride o : med) {
            assertEquals(List.of(new PortOverride.PortRange(49152, 57500)), o.insteadOf(), o.toString());
            assertEquals(List.of(Cidr.parse("10.1.1.11"), Cidr.parse("10.1.1.12"), Cidr.parse("10.1.1.13")), o.hosts(), o.toString());
            long roles = t.topology().rolesOf(fe01.hi(), fe01.lo());
            assertTrue(o.moves(o.transport(), 50000, roles, fe01.hi(), fe01.lo()), "pool01 moved it");
            assertTrue(o.serves(o.transport(), 40100, roles, fe01.hi(), fe01.lo()));
            long medRoles = t.topology().rolesOf(med01.hi(), med01.lo());
            assertFalse(o.moves(o.transport(), 50000, medRoles, med01.hi(), med01.lo()), "med01 moved nothing");
            assertFalse(o.serves(o.transport(), 40100, medRoles, med01.hi(), med01.lo()));
        }
        assertTrue(t.result().yaml().contains("    hosts: [\"10.1.1.11\", \"10.1.1.12\", \"10.1.1.13\"]\n"), t.result().yaml());

        // medpool lists its default range: still no entry for it, and nothing of the catalog's range left as moved.
        String medpool = "<Port Owner=\"urn:component:MediationServerGatewayPeer\" Usage=\"SipServer\" InterfaceSide=\"Primary\" "
                + "InterfaceNumber=\"1\" Port=\"5067\" Protocol=\"Tls\" UrlPath=\"/\" AuthorizesRequests=\"false\" />";
        String both = contoso.replace(audio, moved);
        int second = both.lastIndexOf(medpool);
        assertTrue(second > both.indexOf(medpool), "two Mediation services");
        Files.writeString(xml, both.substring(0, second) + medpool + "\n        " + audio + both.substring(second + medpool.length()));
        Loaded listed = load(xml, CONTOSO_HOSTS, List.of());
        assertEquals(med.size(), listed.ports("mediation").size(), listed.ports("mediation").toString());
        for (PortOverride o : listed.ports("mediation")) {
            assertEquals(List.of(new PortOverride.PortRange(49152, 57500)), o.insteadOf(), o.toString());
        }
        assertFalse(listed.result().yaml().contains("\"57500\""), listed.result().yaml());
    }

    /**
     * Both Mediation pools moved their audio range to 40000, and medpool also configures UDP 50000: the
     * TCP entries of both pools merge into one for every host, while pool01's UDP entry (the whole old
     * range moved) is scoped to pool01 and medpool's (50000 kept) to medpool. Merged across transports
     * first, one unscoped [tcp, udp] entry moved med01's UDP 50000, which it still configures.
     */
    @Test
    void poolsThatMovedDifferentPortsPerTransportEachKeepTheirOwn() throws Exception {
        String x = Files.readString(CONTOSO);
        String audio = "<Port Owner=\"urn:component:MediationServer\" Usage=\"AudioCommunication\" InterfaceSide=\"Primary\" "
                + "InterfaceNumber=\"1\" Port=\"49152\" Protocol=\"TcpOrUdp\" UrlPath=\"/\" AuthorizesRequests=\"false\" Range=\"8348\" />";
        String moved = audio.replace("Port=\"49152\"", "Port=\"40000\"").replace("Range=\"8348\"", "Range=\"1000\"");
        x = x.replace(audio, moved);
        String peer = "<Port Owner=\"urn:component:MediationServerGatewayPeer\" Usage=\"SipServer\" InterfaceSide=\"Primary\" "
                + "InterfaceNumber=\"1\" Port=\"5067\" Protocol=\"Tls\" UrlPath=\"/\" AuthorizesRequests=\"false\" />";
        String udp50000 = "<Port Owner=\"urn:component:MediationServer\" Usage=\"Other\" InterfaceSide=\"Primary\" InterfaceNumber=\"1\" "
                + "Port=\"50000\" Protocol=\"Udp\" UrlPath=\"/\" AuthorizesRequests=\"false\" />";
        int second = x.lastIndexOf(peer);
        x = x.substring(0, second) + peer + "\n        " + moved + "\n        " + udp50000 + x.substring(second + peer.length());
        Path xml = dir.resolve("per-transport.xml");
        Files.writeString(xml, x);
        Loaded t = load(xml, CONTOSO_HOSTS, List.of());
        Cidr fe01 = Cidr.parse("10.1.1.11");
        Cidr med01 = Cidr.parse("10.1.4.11");
        long feRoles = t.topology().rolesOf(fe01.hi(), fe01.lo());
        long medRoles = t.topology().rolesOf(med01.hi(), med01.lo());
        boolean medUdpMoved = false;
        boolean feUdpMoved = false;
        boolean medTcpMoved = false;
        for (PortOverride o : t.ports("mediation")) {
            medUdpMoved |= o.moves(17, 50000, medRoles, med01.hi(), med01.lo());
            feUdpMoved |= o.moves(17, 50000, feRoles, fe01.hi(), fe01.lo());
            medTcpMoved |= o.moves(6, 50000, medRoles, med01.hi(), med01.lo());
        }
        assertFalse(medUdpMoved, "med01 still configures UDP 50000: " + t.ports("mediation"));
        assertTrue(feUdpMoved, "pool01 moved it: " + t.ports("mediation"));
        assertTrue(medTcpMoved, "medpool moved TCP 50000 with the rest of its audio range: " + t.ports("mediation"));
    }

    /**
     * An entry scoped to one Edge pool (another Edge pool keeps the defaults) holds that pool's load
     * balancer address and its public NAT address, which carry its role as its machines do: scoped to
     * the machines alone, the moved port was unexpected there and the old one still allowed.
     */
    @Test
    void anEntryScopedToAPoolHoldsItsVirtualAndPublicAddresses() throws Exception {
        String x = Files.readString(CONTOSO);
        String type = "Microsoft.Rtc.Management.Deploy.Internal.ServiceRoles.EdgeService";
        int s = x.indexOf("<Service RoleVersion=\"1\" ServiceVersion=\"6\" Type=\"" + type + "\">");
        assertTrue(s >= 0, "the Edge service");
        int e = x.indexOf("</Service>", s) + "</Service>".length();
        String svc = x.substring(s, e);
        String svc2 = svc.replace("Instance=\"1\"", "Instance=\"2\"").replace("Number=\"3\"", "Number=\"7\"");
        String internal = "InterfaceSide=\"Internal\" InterfaceNumber=\"1\" Port=\"5061\"";
        assertTrue(svc.contains(internal), svc);
        x = x.substring(0, s) + svc.replace(internal, internal.replace("5061", "5071")) + "\n" + svc2 + x.substring(e);
        x = x.replace("</Clusters>", "<Cluster RequiresReplication=\"true\" RequiresSetup=\"true\" Fqdn=\"edgepool2.contoso.com\">\n"
                + "<ClusterId SiteId=\"1\" Number=\"7\" />\n<Machine OrdinalInCluster=\"1\" Fqdn=\"edge02.contoso.com\">\n"
                + "<NetInterface InterfaceSide=\"Internal\" InterfaceNumber=\"1\" IPAddress=\"10.1.7.11\" />\n"
                + "<NetInterface InterfaceSide=\"External\" InterfaceNumber=\"1\" IPAddress=\"172.31.0.21\" ConfiguredIPAddress=\"203.0.113.21\" />\n"
                + "</Machine>\n</Cluster>\n</Clusters>");
        Path xml = dir.resolve("two-edges.xml");
        Files.writeString(xml, x);
        Path hosts = dir.resolve("hosts.csv");
        Files.writeString(hosts, Files.readString(CONTOSO_HOSTS) + "edgepool.contoso.com,10.1.3.10\nedgepool2.contoso.com,10.1.7.10\n");
        Loaded t = load(xml, hosts, List.of());
        List<PortOverride> moved = t.ports("edge-internal").stream().filter(o -> o.portMin() == 5071).toList();
        assertEquals(1, moved.size(), t.ports("edge-internal").toString());
        PortOverride o = moved.get(0);
        for (String a : List.of("10.1.3.11", "10.1.3.10")) {
            Cidr c = Cidr.parse(a);
            assertTrue(o.appliesTo(c.hi(), c.lo()), a + " of edgepool: " + o);
        }
        Cidr other = Cidr.parse("10.1.7.11");
        assertFalse(o.appliesTo(other.hi(), other.lo()), "edgepool2 moved nothing: " + o);
        // The External side's entries of edgepool hold its public NAT address.
        Cidr pub = Cidr.parse("203.0.113.11");
        assertTrue(t.ports("edge-external").stream().filter(p -> !p.hosts().isEmpty()).allMatch(p -> p.appliesTo(pub.hi(), pub.lo())),
                t.ports("edge-external").toString());
    }

    @Test
    void aHostsRowNoMachineAsksForIsSaidAndAnUnspecifiedAddressIsRefused() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        Files.writeString(hosts, Files.readString(CONTOSO_HOSTS) + "fe1.contoso.com,10.1.1.99\n");
        TopologyImporter.Result r = TopologyImporter.run(CONTOSO, hosts, List.of(), Catalog.builtIn(new Roles()));
        assertTrue(r.notes().contains(hosts + ": line 6: fe1.contoso.com is not a machine or pool of the topology that needs an address; not used"),
                r.notes().toString());
        // A misspelt name (.con for .com): its line, and the name it stands for, which stays without an address.
        Files.writeString(hosts, Files.readString(CONTOSO_HOSTS).replace("fe02.contoso.com", "fe02.contoso.con"));
        r = TopologyImporter.run(CONTOSO, hosts, List.of(), Catalog.builtIn(new Roles()));
        assertTrue(r.notes().contains(hosts + ": line 4: fe02.contoso.con is not a machine or pool of the topology that needs an address"
                + " (did you mean fe02.contoso.com?); not used"), r.notes().toString());
        assertFalse(r.yaml().contains("10.1.1.99"), "a row no machine asked for is not written");
        Files.writeString(hosts, Files.readString(CONTOSO_HOSTS) + "fe09.contoso.com,0.0.0.0\n");
        int line = (int) Files.readString(hosts).lines().count();
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":" + line + ": '0.0.0.0' is not a host's address (for fe09.contoso.com)", e.getMessage());
    }

    @Test
    void aHostsFileLineWithAThirdColumnIsRefusedNotCutShort() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        Files.writeString(hosts, "fqdn,address\nfe01.contoso.com,10.1.1.11,10.1.1.12\n");
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":2: expected two columns: fqdn,address; column 3 ('10.1.1.12') is a second address "
                + "(a name with several addresses takes one row each)", e.getMessage());
        // An empty trailing cell, as spreadsheets write, and a column of notes are not addresses: read as before.
        Files.writeString(hosts, "fqdn,address,notes\nfe01.contoso.com,10.1.1.11,\nfe02.contoso.com,10.1.1.12,Front End pool 1\n");
        assertEquals(Set.of(Cidr.parse("10.1.1.11")), HostsFile.read(hosts).get("fe01.contoso.com"));
        assertEquals(Set.of(Cidr.parse("10.1.1.12")), HostsFile.read(hosts).get("fe02.contoso.com"));
    }

    /**
     * The README's recipe run in Windows PowerShell 5.1: {@code Out-File} writes UTF-16 (little-endian, with its
     * byte-order mark, CR LF line ends) and keeps the declaration's {@code encoding="utf-8"}. The parser, given
     * the bytes, applied the declaration: "line 2: malformed XML: Content is not allowed in prolog". The mark
     * decides, whatever the declaration says: a UTF-16 file (either byte order) declared utf-8, and a UTF-8
     * file with its mark declared utf-16, import as the UTF-8 original does.
     */
    @Test
    void aByteOrderMarkDecidesOverTheDeclaredEncoding() throws Exception {
        String contoso = Files.readString(CONTOSO);
        assertTrue(contoso.startsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "declared utf-8");
        String crlf = contoso.replace("\n", "\r\n");
        String expected = load(CONTOSO, CONTOSO_HOSTS, List.of()).result().yaml().replace("contoso-topology.xml", "t.xml");
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("UTF-16LE, declared utf-8", concat(new byte[] {(byte) 0xff, (byte) 0xfe}, crlf.getBytes(java.nio.charset.StandardCharsets.UTF_16LE)));
        files.put("UTF-16BE, declared utf-8", concat(new byte[] {(byte) 0xfe, (byte) 0xff}, contoso.getBytes(java.nio.charset.StandardCharsets.UTF_16BE)));
        files.put("UTF-8 with its mark, declared utf-16", concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf},
                contoso.replaceFirst("encoding=\"utf-8\"", "encoding=\"utf-16\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Path xml = dir.resolve("t.xml");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(xml, f.getValue());
            Loaded t = load(xml, CONTOSO_HOSTS, List.of());
            assertEquals(expected, t.result().yaml(), f.getKey());
            assertEquals(Set.of("front-end", "mediation"), t.rolesOf("10.1.1.11"), f.getKey());
        }
        // Still refused at its line: a malformed element, and a lone surrogate, in the UTF-16 file.
        String broken = crlf.replaceFirst("<Machine ", "<Machine <");
        int line = 1 + (int) broken.lines().takeWhile(l -> !l.contains("<Machine <")).count();
        Files.write(xml, concat(new byte[] {(byte) 0xff, (byte) 0xfe}, broken.getBytes(java.nio.charset.StandardCharsets.UTF_16LE)));
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xml, null, List.of(), Catalog.builtIn(new Roles())));
        assertTrue(e.getMessage().startsWith(xml + ":" + line + ": malformed XML"), e.getMessage());
        byte[] lone = concat(new byte[] {(byte) 0xff, (byte) 0xfe}, crlf.getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
        int at = 2 + 2 * crlf.indexOf("fe01");
        lone[at] = 0x00;
        lone[at + 1] = (byte) 0xd8; // a high surrogate followed by 'e': not UTF-16
        Files.write(xml, lone);
        line = 1 + (int) crlf.substring(0, crlf.indexOf("fe01")).chars().filter(c -> c == '\n').count();
        e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xml, null, List.of(), Catalog.builtIn(new Roles())));
        assertEquals(xml + ":" + line + ": not UTF-16 text after its UTF-16 byte-order mark (cut short, or a lone surrogate): save it again as UTF-8",
                e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * A header of other names, as Excel or PowerShell's Export-Csv write them ("Name","IPAddress", after
     * Windows PowerShell's #TYPE line), is skipped like fqdn,address: it was refused, "'IPAddress' is not
     * an IPv4 or IPv6 address (for Name)". A first row that is not such a header says what one is.
     */
    @Test
    void aHostsFileHeaderOfOtherNamesIsSkipped() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        for (String header : List.of("Name,IPAddress\n", "#TYPE Selected.Microsoft.Rtc.Management.Xds.Machine\n\"Name\",\"IPAddress\"\n",
                "Host Name,IP Address,Notes\n")) {
            Files.writeString(hosts, header + "fe01.contoso.com,10.1.1.11\nfe02.contoso.com,fd00:10:1:1::12\n");
            Map<String, Set<Cidr>> read = HostsFile.read(hosts);
            assertEquals(Map.of("fe01.contoso.com", Set.of(Cidr.parse("10.1.1.11")), "fe02.contoso.com", Set.of(Cidr.parse("fd00:10:1:1::12"))),
                    read, header);
        }
        // A name with its domain, or an address that is wrong, in the first row: a row, not a header.
        Files.writeString(hosts, "fe01.contoso.com,IPAddress\n");
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":1: 'IPAddress' is not an IPv4 or IPv6 address (for fe01.contoso.com); a first row is read as a header only"
                + " when its first two cells are words without '.', ':' or '/', such as fqdn,address or Name,IPAddress", e.getMessage());
        Files.writeString(hosts, "fe01,10.1.1.x\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertTrue(e.getMessage().startsWith(hosts + ":1: '10.1.1.x' is not an IPv4 or IPv6 address (for fe01); a first row"), e.getMessage());
        // Past the first row, a header is a mistake like any other row.
        Files.writeString(hosts, "fe01.contoso.com,10.1.1.11\nName,IPAddress\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":2: 'IPAddress' is not an IPv4 or IPv6 address (for Name)", e.getMessage());
    }

    /** Excel saves "CSV" with semicolons where the decimal separator is a comma (fr-FR, de-DE): the message says so. */
    @Test
    void aHostsFileSeparatedBySemicolonsSaysSo() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        Files.writeString(hosts, "fqdn;address\nfe01.contoso.com;10.1.1.11\n");
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":1: expected two columns: fqdn,address; the columns are separated by ';': save it with commas", e.getMessage());
        Files.writeString(hosts, "fe01.contoso.com\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":1: expected two columns: fqdn,address", e.getMessage());
    }

    @Test
    void aHostsFileWithAByteOrderMarkIsReadAsWithout() throws Exception {
        // Excel's "CSV UTF-8" and PowerShell's UTF8 encoding write one: it was read as part of the first name.
        Path hosts = dir.resolve("hosts.csv");
        for (String text : List.of("pool01.contoso.com,10.1.1.10\nfe01.contoso.com,10.1.1.11\n", "fqdn,address\npool01.contoso.com,10.1.1.10\n")) {
            Files.writeString(hosts, "\uFEFF" + text, java.nio.charset.StandardCharsets.UTF_8);
            Map<String, Set<Cidr>> read = HostsFile.read(hosts);
            assertEquals(Set.of(Cidr.parse("10.1.1.10")), read.get("pool01.contoso.com"), text);
            assertFalse(read.containsKey("fqdn"), text);
        }
    }

    @Test
    void aHostsFileThatIsNotUtf8OrNotClosedNamesItsLineInWords() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        // What Windows PowerShell 5.1's Out-File writes.
        Files.writeString(hosts, "\uFEFFfqdn,address\r\nfe01.contoso.com,10.1.1.11\r\n", java.nio.charset.StandardCharsets.UTF_16LE);
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":1: UTF-16 text; save it as UTF-8 (PowerShell: Out-File -Encoding utf8, or Export-Csv -Encoding UTF8)", e.getMessage());
        Files.write(hosts, "fqdn,address\nfe01.contoso.com,10.1.1.11\nfe02\u00e9.contoso.com,10.1.1.12\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertTrue(e.getMessage().startsWith(hosts + ":3: not UTF-8 text"), e.getMessage());
        Files.writeString(hosts, "fqdn,address\nfe01.contoso.com,10.1.1.11\n\"fe02.contoso.com,10.1.1.12\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":3: a quoted field is not closed before the end of the file", e.getMessage());
    }

    /** Attributes missing, negative, too large or given twice are said as such, at their line. */
    @Test
    void badPortAttributesAreSaidInWords() throws Exception {
        String contoso = Files.readString(CONTOSO);
        String[][] cases = {
            {"InterfaceNumber=\"1\" Port=\"5061\" Protocol=\"Mtls\"", "InterfaceNumber=\"1\" Protocol=\"Mtls\"",
                ":61: service Registrar, Port: no Port attribute"},
            {"Range=\"8348\"", "Range=\"-5\"", ":73: service ConfServices, Port 49152: Range=\"-5\" is negative"},
            {"Range=\"8348\"", "Range=\"99999999999\"", ":73: service ConfServices, Port: Range=\"99999999999\" is too large"},
            {"OrdinalInCluster=\"1\" Fqdn=\"fe01.contoso.com\"", "OrdinalInCluster=\"1\" Fqdn=\"fe01.contoso.com\" Fqdn=\"x\"",
                ":20: malformed XML: element <Machine> has the attribute Fqdn twice"},
            {"<Machine OrdinalInCluster=\"1\" Fqdn=\"fe01.contoso.com\">", "<foo:Machine OrdinalInCluster=\"1\" Fqdn=\"fe01.contoso.com\">",
                ":20: malformed XML: the prefix foo of foo:Machine names no namespace (no xmlns:foo)"},
            {"Range=\"8348\"", "Range=\"-99999999999\"", ":73: service ConfServices, Port: Range=\"-99999999999\" is out of range"},
            {"InterfaceNumber=\"1\" IPAddress=\"0.0.0.0\"", "InterfaceNumber=\"one\" IPAddress=\"0.0.0.0\"",
                ":21: fe01.contoso.com, Primary interface: InterfaceNumber=\"one\" is not a number"},
            {"InterfaceNumber=\"1\" Port=\"5061\"", "InterfaceNumber=\"1x\" Port=\"5061\"",
                ":61: service Registrar, Port 5061: InterfaceNumber=\"1x\" is not a number"}};
        for (String[] c : cases) {
            assertTrue(contoso.contains(c[0]), c[0]);
            Path xml = Files.writeString(dir.resolve("bad.xml"), contoso.replaceFirst(java.util.regex.Pattern.quote(c[0]), c[1]));
            ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xml, null, List.of(), Catalog.builtIn(new Roles())));
            assertEquals(xml + c[2], e.getMessage());
        }
    }

    /** The XML is read whole before it is parsed (its encoding checked first): one over 64 MiB is refused, not read into memory. */
    @Test
    void anXmlOverItsLimitIsRefused() throws Exception {
        Path xml = dir.resolve("huge.xml");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(xml.toFile(), "rw")) {
            f.setLength(XmlTree.MAX_BYTES + 1L); // (sparse: no 64 MiB written)
        }
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xml, null, List.of(), Catalog.builtIn(new Roles())));
        assertEquals(xml + ": larger than 64 MiB (a published topology is a few MB): not a topology", e.getMessage());
    }

    /** The hosts file is read whole too (its encoding checked first): one over 64 MiB is refused, not read into memory. */
    @Test
    void aHostsFileOverItsLimitIsRefused() throws Exception {
        Path hosts = dir.resolve("huge.csv");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(hosts.toFile(), "rw")) {
            f.setLength(HostsFile.MAX_BYTES + 1L); // (sparse: no 64 MiB written)
        }
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ": larger than 64 MiB (a topology's hosts take a few thousand lines): not a hosts file", e.getMessage());
    }

    @Test
    void xmlNestedThousandsOfLevelsDeepIsRefusedWithItsLine() throws Exception {
        // The tree's walks recurse: 12,000 levels overflowed the stack (a StackOverflowError, exit 1).
        Path xml = dir.resolve("deep.xml");
        Files.writeString(xml, "<Topology xmlns=\"urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008\">\n"
                + "<a>".repeat(12_000) + "</a>".repeat(12_000) + "</Topology>\n");
        ConfigException e = assertThrows(ConfigException.class, () -> TopologyImporter.run(xml, null, List.of(), Catalog.builtIn(new Roles())));
        assertEquals(xml + ":2: elements nested more than 256 levels deep (a Lync topology nests fewer than ten): not a topology", e.getMessage());
    }

    @Test
    void aHostsFileLineWithoutAnAddressNamesItsLine() throws Exception {
        Path hosts = dir.resolve("hosts.csv");
        Files.writeString(hosts, "fqdn,address\nfe01.contoso.com,10.1.1.11\nfe02.contoso.com,fe02\n");
        ConfigException e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":3: 'fe02' is not an IPv4 or IPv6 address (for fe02.contoso.com)", e.getMessage());
        Files.writeString(hosts, "fqdn,address\nfe01.contoso.com,10.1.1.11\n,10.1.1.12\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":3: no name before the address '10.1.1.12' (expected fqdn,address)", e.getMessage());
        Files.writeString(hosts, "fqdn,address\n,\n");
        e = assertThrows(ConfigException.class, () -> HostsFile.read(hosts));
        assertEquals(hosts + ":2: an empty row (expected fqdn,address)", e.getMessage());
        Map<String, Set<Cidr>> ok = HostsFile.read(CONTOSO_HOSTS);
        assertEquals(Set.of(Cidr.parse("10.1.1.13")), ok.get("fe03.contoso.com"));
    }
}
