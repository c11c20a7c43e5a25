package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestDifferentialAgainstKubernetesPlugin sends the same queries to clusterdns and to
// CoreDNS's kubernetes plugin, both in this process and watching the same API server, and
// requires identical replies except for the differences the plugin README documents
// (knownDifference below, one rule per documented difference).
func TestDifferentialAgainstKubernetesPlugin(t *testing.T) {
	e := k8senv.Get(t)
	// One server-block pair per option of the kubernetes plugin we honour (issue 10), each
	// on its own corpus. minData is how many identical answers must carry records for the
	// comparison to prove something.
	for _, tc := range []struct {
		name, options string
		minData       int
	}{
		{"ttl 30", "pods insecure\n        ttl 30", 150},
		{"defaults", "pods insecure", 150}, // ttl left out on both: the same default
		{"endpoint_pod_names", "endpoint_pod_names", 150},
		{"noendpoints", "noendpoints", 60},
		{"ignore empty_service", "ignore empty_service", 140},
		{"zonal", "zonal", 150},
		{"labels", "labels dns in (on)", 60},
		{"namespace_labels", "namespace_labels dns=on", 150},
		{"pods verified", "pods verified", 150},
		{"client options", "apiserver_qps 50\n        apiserver_burst 100\n        apiserver_max_inflight 2\n        startup_timeout 10s", 150},
	} {
		t.Run(tc.name, func(t *testing.T) { differential(t, e, tc.options, tc.minData) })
	}
}

func differential(t *testing.T, e *k8senv.Env, options string, minData int) {
	ours, theirs := harness.FreePort(t), harness.FreePort(t)
	block := func(plugin string, port int) string {
		return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    %s cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s
        %s
    }
}
`, port, plugin, e.Kubeconfig, options)
	}
	harness.Start(t, block("clusterdns", ours)+block("kubernetes", theirs))
	ns, other := e.Namespace(t, "diff"), e.Namespace(t, "diff-empty")
	// nine pairs' leftovers would overflow a UDP reply to a PTR query (emptyAtEnd)
	emptyAtEnd(t, e, ns, other)
	// namespace_labels selects the corpus's namespace, not the empty one
	n, err := e.Client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Labels["dns"] = "on"
	if _, err := e.Client.CoreV1().Namespaces().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// a Service in the unselected namespace, so namespace_labels's reverse difference shows
	// (documented difference 5); other options answer its PTR alike. Created before the
	// corpus, whose last objects are the sentinel that both servers have seen everything.
	hidden := service(other, "hidden", corev1.ClusterIPNone)
	create(t, e, hidden, slice(other, "hidden-a", "hidden", discoveryv1.AddressTypeIPv4, nil, endpoint{ip: "10.244.7.7"}))
	names := corpus(t, e, ns)
	rev, _ := dns.ReverseAddr("10.244.7.7")
	names = append(names, rev)
	nsLabels := strings.Contains(options, "namespace_labels")
	verified := strings.Contains(options, "pods verified")
	if verified {
		names = append(names, pods(t, e, ns, other)...)
	}

	oursAddr, theirsAddr := fmt.Sprintf("127.0.0.1:%d", ours), fmt.Sprintf("127.0.0.1:%d", theirs)
	// Both have seen everything once the last Service and the last EndpointSlice created
	// (both of "last", created after the rest) answer on both: one watch delivers a kind's
	// events in order. Without endpoints, the Service alone.
	endpoints := !strings.Contains(options, "noendpoints")
	for _, a := range []string{oursAddr, theirsAddr} {
		harness.Eventually(t, within, "corpus indexed at "+a, func() (bool, string) {
			last := harness.Query(t, a, "last."+ns+".svc.cluster.local.", dns.TypeA)
			ep := harness.Query(t, a, "10-244-9-9.last."+ns+".svc.cluster.local.", dns.TypeA)
			return len(last.Answer) > 0 && (len(ep.Answer) > 0 || !endpoints), harness.Answers(last) + "; " + harness.Answers(ep)
		})
		if verified { // the pods' watch is another one: its last pod
			harness.Eventually(t, within, "pods indexed at "+a, func() (bool, string) {
				m := harness.Query(t, a, "10-244-9-10."+ns+".pod.cluster.local.", dns.TypeA)
				return len(m.Answer) > 0, harness.Answers(m)
			})
		}
	}
	if verified {
		// seen before the last pod: the option is in force, this is no pods insecure
		if m := harness.Query(t, oursAddr, "10-1-2-4."+ns+".pod.cluster.local.", dns.TypeA); m.Rcode != dns.RcodeNameError {
			t.Errorf("another namespace's pod address answered: %s", harness.Answers(m))
		}
	}

	names = append(names, "cluster.local.", "svc.cluster.local.", "pod.cluster.local.", "dns-version.cluster.local.",
		"ns.dns.cluster.local.", "nope.cluster.local.", "in-addr.arpa.", "ip6.arpa.",
		ns+".svc.cluster.local.", other+".svc.cluster.local.", "missing-ns.svc.cluster.local.",
		"x."+other+".svc.cluster.local.", "10-1-2-3."+ns+".pod.cluster.local.", "fd00--1."+ns+".pod.cluster.local.",
		"10-1-2-3.missing-ns.pod.cluster.local.", ns+".pod.cluster.local.", "bad-ip."+ns+".pod.cluster.local.",
		"a.b.c.web."+ns+".svc.cluster.local.", "99.99.99.10.in-addr.arpa.")
	types := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeSRV, dns.TypeTXT, dns.TypeCNAME, dns.TypePTR, dns.TypeMX,
		dns.TypeNS, dns.TypeSOA, dns.TypeHINFO}
	type exchange struct {
		name         string
		qt           uint16
		ours, theirs string
		mixedCase    bool
	}
	var exchanges []exchange
	// exists holds the names the kubernetes plugin says exist, answering some type with
	// NOERROR, and the parents of those it answers with records (empty non-terminals): the
	// names the first knownDifference rule may excuse.
	exists := map[string]bool{}
	for _, name := range names {
		for _, variant := range []string{name, mixedCase(name)} {
			for _, qt := range types {
				mo, mt := harness.Query(t, oursAddr, variant, qt), harness.Query(t, theirsAddr, variant, qt)
				exchanges = append(exchanges, exchange{variant, qt, summarize(mo), summarize(mt), variant != name})
				if mt.Rcode == dns.RcodeSuccess {
					exists[strings.ToLower(variant)] = true
				}
				if mt.Rcode == dns.RcodeSuccess && len(mt.Answer) > 0 {
					for n := strings.ToLower(variant); n != ""; _, n, _ = strings.Cut(n, ".") {
						exists[n] = true
					}
				}
			}
		}
	}
	var same, sameWithData, documented int
	for _, x := range exchanges {
		switch {
		case x.ours == x.theirs:
			same++
			if !strings.Contains(x.ours, "an: \n") {
				sameWithData++
			}
		case knownDifference(exists[strings.ToLower(x.name)], x.qt, x.ours, x.theirs),
			nsLabels && x.qt == dns.TypePTR && fewerPTR(x.ours, x.theirs):
			documented++
			if testing.Verbose() && !x.mixedCase {
				t.Logf("documented: %s %s: clusterdns %s, kubernetes %s", x.name, dns.TypeToString[x.qt], x.ours[:8], x.theirs[:8])
			}
		default:
			t.Errorf("%s %s differs\n clusterdns: %s\n kubernetes: %s", x.name, dns.TypeToString[x.qt], x.ours, x.theirs)
		}
	}
	t.Logf("%d queries identical (%d with records), %d with a documented difference", same, sameWithData, documented)
	if sameWithData < minData {
		t.Errorf("only %d identical answers carry records: the comparison proves too little", sameWithData)
	}
}

// corpus creates the objects of the comparison and returns the names to query.
func corpus(t *testing.T, e *k8senv.Env, ns string) []string {
	tcp := func(name string, p int32) svcPort { return svcPort{name, corev1.ProtocolTCP, p} }
	dual := service(ns, "web", "", tcp("http", 80), svcPort{"dns", corev1.ProtocolUDP, 53})
	dual.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	v6only := service(ns, "six", "", tcp("http", 80))
	v6only.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
	ext := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "alias", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db." + ns + ".svc.cluster.local"}}
	extIP := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "alias-ip", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "192.0.2.1"}}
	extChain := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "alias2", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "alias." + ns + ".svc.cluster.local"}}
	pg := []svcPort{tcp("pg", 5432)}
	web := slice(ns, "web-a", "web", discoveryv1.AddressTypeIPv4, []svcPort{tcp("http", 8080)},
		endpoint{ip: "10.244.0.5", pod: "web-7f9c-abcde"}, endpoint{ip: "10.244.0.6", hostname: "web-host", pod: "web-7f9c-fghij"})
	db, dbA := service(ns, "db", corev1.ClusterIPNone, pg...), slice(ns, "db-a", "db", discoveryv1.AddressTypeIPv4, pg,
		endpoint{ip: "10.244.1.1", hostname: "db-0", zone: "zone-a"}, endpoint{ip: "10.244.1.2", hostname: "db-1", zone: "zone-b"},
		endpoint{ip: "10.244.1.3", ready: ptr.To(false), zone: "zone-a"}, endpoint{ip: "10.244.1.4", pod: "db-x", zone: "Zone-A"})
	last, lastA := service(ns, "last", "", tcp("http", 80)), slice(ns, "last-a", "last", discoveryv1.AddressTypeIPv4,
		[]svcPort{tcp("http", 80)}, endpoint{ip: "10.244.9.9"})
	// labels selects these (and their slices, which carry the Service's labels as the
	// EndpointSlice controller copies them)
	for _, o := range []metav1.Object{dual, ext, web, db, dbA, last, lastA} {
		l := o.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l["dns"] = "on"
		o.SetLabels(l)
	}
	create(t, e, dual, v6only, ext, extIP, extChain,
		web, db, dbA,
		slice(ns, "db-b", "db", discoveryv1.AddressTypeIPv6, pg, endpoint{ip: "fd00:244::5", hostname: "db-2", zone: "corp.example"}),
		service(ns, "unnamed", "", tcp("", 8081)),
		service(ns, "noports", corev1.ClusterIPNone),
		slice(ns, "noports-a", "noports", discoveryv1.AddressTypeIPv4, nil, endpoint{ip: "10.244.2.1"}),
		service(ns, "drained", corev1.ClusterIPNone, pg...),
		service(ns, "manual", "", tcp("mysql", 3306)),
		slice(ns, "manual-a", "manual", discoveryv1.AddressTypeIPv4, []svcPort{tcp("mysql", 3306)}, endpoint{ip: "192.0.2.10"}),
		service(ns, "many", corev1.ClusterIPNone, tcp("http", 80), svcPort{"dns", corev1.ProtocolUDP, 53}),
		slice(ns, "many-a", "many", discoveryv1.AddressTypeIPv4, []svcPort{tcp("http", 80), svcPort{"dns", corev1.ProtocolUDP, 53}},
			endpoint{ip: "10.244.3.1"}, endpoint{ip: "10.244.3.2"}, endpoint{ip: "10.244.3.3"}),
	)
	create(t, e, last, lastA)

	var names []string
	svc := func(s string) string { return s + "." + ns + ".svc.cluster.local." }
	for _, s := range []string{"web", "unnamed", "six", "alias", "alias-ip", "alias2", "db", "noports", "drained", "manual", "many", "last", "missing"} {
		names = append(names, svc(s), "_http._tcp."+svc(s), "_tcp."+svc(s), "http.tcp."+svc(s), "_pg._tcp."+svc(s),
			"_http._udp."+svc(s), "_dns._udp."+svc(s), "_mysql._tcp."+svc(s), "nope."+svc(s))
	}
	names = append(names, "10-244-0-5."+svc("web"), "web-host."+svc("web"), "10-244-0-6."+svc("web"),
		"db-0."+svc("db"), "db-1."+svc("db"), "db-2."+svc("db"), "10-244-1-3."+svc("db"), "10-244-1-4."+svc("db"),
		"10-244-2-1."+svc("noports"), "192-0-2-10."+svc("manual"), "10-244-3-2."+svc("many"),
		"web-7f9c-abcde."+svc("web"), "web-7f9c-fghij."+svc("web"), "db-x."+svc("db"), "10-244-9-9."+svc("last"))
	// zone-scoped names (zonal): pinned and preferred, a zone with a dot, one with no
	// endpoint, names of other kinds of Service and an unknown directive
	for _, z := range []string{"zone-a.pin", "zone-b.pin", "zone-c.pin", "zone-a.prefer", "zone-c.prefer", "corp.example.pin", "zone-a.florp"} {
		names = append(names, z+"._zone."+svc("db"), z+"._zone."+svc("web"), z+"._zone."+svc("alias"), z+"._zone."+svc("noports"))
	}
	for _, name := range []string{"web", "six", "manual", "last"} {
		for _, ip := range getService(t, e, ns, name).Spec.ClusterIPs {
			rev, _ := dns.ReverseAddr(ip)
			names = append(names, rev)
		}
	}
	for _, ip := range []string{"10.244.0.5", "10.244.0.6", "10.244.1.1", "10.244.1.3", "10.244.1.4", "fd00:244::5", "192.0.2.10", "10.244.2.1"} {
		rev, _ := dns.ReverseAddr(ip)
		names = append(names, rev)
	}
	return names
}

// pods creates pods for pods verified, their addresses set through the status subresource
// as a kubelet does, and returns the pod names to query. The last created, 10.244.9.10 in
// ns, tells when a server has seen them all.
func pods(t *testing.T, e *k8senv.Env, ns, other string) []string {
	mk := func(ns, name string, phase corev1.PodPhase, ips ...string) { createPod(t, e, ns, name, phase, ips...) }
	mk(ns, "dual", corev1.PodRunning, "10.1.2.3", "fd00::1")
	mk(ns, "pending", corev1.PodPending, "10.1.2.6")
	mk(ns, "done", corev1.PodSucceeded, "10.1.2.5") // not read: the phase selector
	mk(other, "elsewhere", corev1.PodRunning, "10.1.2.4")
	mk(ns, "last-pod", corev1.PodRunning, "10.244.9.10")
	var names []string
	for _, n := range []string{"10-1-2-3", "fd00--1", "fd00-0-0-0-0-0-0-1", "10-1-2-4", "10-1-2-5", "10-1-2-6", "10-244-9-10", "10-9-9-9"} {
		names = append(names, n+"."+ns+".pod.cluster.local.", n+"."+other+".pod.cluster.local.")
	}
	return names
}

// createPod creates a pod (unscheduled: deleting it needs no kubelet) and sets its phase
// and addresses through the status subresource, as a kubelet does.
func createPod(t testing.TB, e *k8senv.Env, ns, name string, phase corev1.PodPhase, ips ...string) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.invalid/c"}}}}
	p, err := e.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase, p.Status.PodIP = phase, ips[0]
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	if _, err := e.Client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// summarize renders a reply for comparison: rcode, flags and every section, sorted, with
// the SOA serial (CoreDNS uses the time of its own last event) zeroed.
func summarize(m *dns.Msg) string {
	section := func(rrs []dns.RR) string {
		var s []string
		for _, rr := range rrs {
			switch rr := rr.(type) {
			case *dns.OPT:
				continue
			case *dns.SOA:
				c := *rr
				c.Serial = 0
				s = append(s, c.String())
				continue
			}
			s = append(s, rr.String())
		}
		slices.Sort(s)
		return strings.Join(s, " | ")
	}
	return fmt.Sprintf("%s aa=%v tc=%v\n  an: %s\n  ns: %s\n  ex: %s", dns.RcodeToString[m.Rcode], m.Authoritative, m.Truncated,
		section(m.Answer), section(m.Ns), section(m.Extra))
}

// knownDifference is the list of documented differences (plugin/clusterdns/README.md,
// "Differences from the kubernetes plugin"). Each rule accepts only the reply clusterdns
// is documented to give.
func knownDifference(exists bool, qt uint16, ours, theirs string) bool {
	nodata := strings.HasPrefix(ours, "NOERROR") && strings.Contains(ours, "an: \n")
	nx := strings.HasPrefix(theirs, "NXDOMAIN")
	switch {
	// 1. A name that exists answers NODATA for every type it lacks (RFC 2308, RFC 8020);
	//    the kubernetes plugin says NXDOMAIN for some types of existing names and for
	//    empty non-terminals (_tcp.svc.ns.svc.zone, a namespace or the apex with TXT,
	//    reverse names asked for other types than PTR, dns-version.zone asked for A).
	//    exists: the kubernetes plugin itself answers some type of the name with NOERROR,
	//    or some type of a name below it with records; a name only we say exists is not
	//    excused.
	case nodata && nx && exists:
		return true
	// 2. SOA for a name that does not exist is NXDOMAIN; the kubernetes plugin answers NODATA.
	case qt == dns.TypeSOA && strings.HasPrefix(ours, "NXDOMAIN") && strings.HasPrefix(theirs, "NOERROR"):
		return true
	}
	return false
}

// fewerPTR is documented difference 5: with namespace_labels, an address has no PTR record
// for objects of unselected namespaces, where the kubernetes plugin's reverse lookup gives
// one (it checks namespaces only for the namespaces option). Our PTR records must be some
// of theirs.
func fewerPTR(ours, theirs string) bool {
	answers := func(s string) []string {
		_, an, _ := strings.Cut(s, "an: ")
		an, _, _ = strings.Cut(an, "\n")
		if an == "" {
			return nil
		}
		return strings.Split(an, " | ")
	}
	if !strings.HasPrefix(theirs, "NOERROR") || len(answers(theirs)) == 0 {
		return false
	}
	for _, rr := range answers(ours) {
		if !slices.Contains(answers(theirs), rr) {
			return false
		}
	}
	return true
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}
