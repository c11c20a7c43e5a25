package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	plugintest "github.com/coredns/coredns/plugin/test"
	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	mcscrd "sigs.k8s.io/mcs-api/config/crd"
	"sigs.k8s.io/yaml"
)

var seGVR = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceexports"}

// dynamicFor is a dynamic client of e.
func dynamicFor(t *testing.T, e *k8senv.Env) dynamic.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// installServiceExportCRD installs the ServiceExport CRD as sigs.k8s.io/mcs-api ships it
// and waits until it is served.
func installServiceExportCRD(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	ctx := context.Background()
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(mcscrd.ServiceExportCRD, &crd.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	harness.Eventually(t, 30*time.Second, "ServiceExport CRD served", func() (bool, string) {
		_, err := dyn.Resource(seGVR).Namespace("default").List(ctx, metav1.ListOptions{})
		return err == nil, fmt.Sprint(err)
	})
}

func serviceExport(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": seGVR.GroupVersion().String(), "kind": "ServiceExport",
		"metadata": map[string]any{"namespace": ns, "name": name},
	}}
}

// peerLoadBalancer creates a LoadBalancer Service with ip as its load balancer's address.
func peerLoadBalancer(t *testing.T, e *k8senv.Env, ns, name, ip string, annotations map[string]string) {
	t.Helper()
	ctx := context.Background()
	s := service(ns, name, "", svcPort{"http", corev1.ProtocolTCP, 80})
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Annotations = annotations
	s, err := e.Client.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if _, err := e.Client.CoreV1().Services(ns).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

var exported = map[string]string{"clusterdns.io/export": "true"}

// peerSynced reads coredns_clusterdns_peer_synced of peer from this process's registry,
// where the server under test keeps it.
func peerSynced(peer string) string {
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		return err.Error()
	}
	for _, mf := range mfs {
		if mf.GetName() != "coredns_clusterdns_peer_synced" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "peer" && l.GetValue() == peer {
					return fmt.Sprint(m.GetGauge().GetValue())
				}
			}
		}
	}
	return "absent"
}

// TestPeers exports Services in a second API server (the peer) and resolves them from a
// server reading the first: load balancer addresses, ready endpoints with the endpoints
// option, headless endpoint names, unexport and delete within a second, the last state
// kept while the peer's API server is down, and changes flowing again once it is back.
func TestPeers(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	pdyn := dynamicFor(t, p)
	installServiceExportCRD(t, pdyn)
	ns := p.Namespace(t, "peer")
	ctx := context.Background()

	// exported by ServiceExport, with a load balancer address
	peerLoadBalancer(t, p, ns, "web", "192.0.2.10", nil)
	if _, err := pdyn.Resource(seGVR).Namespace(ns).Create(ctx, serviceExport(ns, "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// exported by annotation, no load balancer: its ready endpoints (endpoints option)
	api := service(ns, "api", "", svcPort{"grpc", corev1.ProtocolTCP, 9000})
	api.Annotations = exported
	db := service(ns, "db", corev1.ClusterIPNone, svcPort{"pg", corev1.ProtocolTCP, 5432})
	db.Annotations = exported
	hidden := service(ns, "hidden", "", svcPort{"http", corev1.ProtocolTCP, 80}) // not exported
	create(t, p, api, db, hidden,
		slice(ns, "api-1", "api", discoveryv1.AddressTypeIPv4, []svcPort{{"grpc", corev1.ProtocolTCP, 9090}},
			endpoint{ip: "10.8.0.1"}, endpoint{ip: "10.8.0.2", ready: new(bool)}),
		slice(ns, "db-1", "db", discoveryv1.AddressTypeIPv4, []svcPort{{"pg", corev1.ProtocolTCP, 5432}},
			endpoint{ip: "10.8.1.1", hostname: "db-0"}),
		slice(ns, "hidden-1", "hidden", discoveryv1.AddressTypeIPv4, nil, endpoint{ip: "10.8.2.1"}))

	// the local cluster exports a Service of the same name: its ClusterIP comes first
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	emptyAtEnd(t, e, ns)
	localWeb := service(ns, "web", "", svcPort{"http", corev1.ProtocolTCP, 80})
	localWeb.Annotations = exported
	create(t, e, localWeb)
	localIP := getService(t, e, ns, "web").Spec.ClusterIP

	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer east {
            kubeconfig %s
            endpoints
        }
    }
}
`, port, e.Kubeconfig, p.Kubeconfig))

	zone := ns + ".svc.clusterset.local."
	// the first sync of a peer takes its initial lists: longer than a change
	harness.Expect(t, 10*time.Second, addr, "web."+zone, dns.TypeA, sortedA("192.0.2.10", localIP))
	if got := addrOrder(harness.Query(t, addr, "web."+zone, dns.TypeA)); got != localIP+" 192.0.2.10" {
		t.Errorf("web: addresses %s, want the local ClusterIP %s first, then the peer's load balancer", got, localIP)
	}
	harness.Expect(t, within, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: SRV 0 100 80 web."+zone)
	harness.Expect(t, within, addr, "api."+zone, dns.TypeA, "NOERROR: A 10.8.0.1")
	harness.Expect(t, within, addr, "_grpc._tcp.api."+zone, dns.TypeSRV, "NOERROR: SRV 0 100 9090 10-8-0-1.east.api."+zone)
	harness.Expect(t, within, addr, "10-8-0-1.east.api."+zone, dns.TypeA, "NOERROR: A 10.8.0.1")
	harness.Expect(t, within, addr, "db-0.east.db."+zone, dns.TypeA, "NOERROR: A 10.8.1.1")
	harness.ExpectNow(t, addr, "db."+zone, dns.TypeA, "NOERROR: A 10.8.1.1")
	harness.ExpectNow(t, addr, "hidden."+zone, dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, ns+".svc.clusterset.local.", dns.TypeA, "NOERROR: ")
	// the SRV answer carries the targets' addresses
	m := harness.Query(t, addr, "_pg._tcp.db."+zone, dns.TypeSRV)
	if err := plugintest.Section(plugintest.Case{Extra: []dns.RR{plugintest.A("db-0.east.db." + zone + " 5 IN A 10.8.1.1")}}, plugintest.Extra, m.Extra); err != nil {
		t.Errorf("_pg._tcp.db additional section: %v\n%v", err, m)
	}
	// the cluster zone is the local cluster's alone
	harness.ExpectNow(t, addr, "web."+ns+".svc.cluster.local.", dns.TypeA, "NOERROR: A "+localIP)
	harness.ExpectNow(t, addr, "api."+ns+".svc.cluster.local.", dns.TypeA, "NXDOMAIN: ")

	// unexport: the ServiceExport deleted; a second Service, created first and proven seen,
	// exported after it is the sentinel of the ServiceExport watch
	peerLoadBalancer(t, p, ns, "next", "192.0.2.11", nil)
	peerLoadBalancer(t, p, ns, "seen", "192.0.2.12", exported)
	harness.Expect(t, within, addr, "seen."+zone, dns.TypeA, "NOERROR: A 192.0.2.12")
	if err := pdyn.Resource(seGVR).Namespace(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := pdyn.Resource(seGVR).Namespace(ns).Create(ctx, serviceExport(ns, "next"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "next."+zone, dns.TypeA, "NOERROR: A 192.0.2.11")
	t.Logf("a peer's ServiceExport answered %v after its creation", time.Since(start).Round(time.Millisecond))
	harness.ExpectNow(t, addr, "web."+zone, dns.TypeA, "NOERROR: A "+localIP) // the local export stays

	// the annotation removed, then the Service deleted; the sentinel is a later Service
	a := getService(t, p, ns, "api")
	a.Annotations = nil
	if _, err := p.Client.CoreV1().Services(ns).Update(ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Client.CoreV1().Services(ns).Delete(ctx, "seen", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	peerLoadBalancer(t, p, ns, "sentinel-1", "192.0.2.13", exported)
	harness.Expect(t, within, addr, "sentinel-1."+zone, dns.TypeA, "NOERROR: A 192.0.2.13")
	harness.ExpectNow(t, addr, "api."+zone, dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "seen."+zone, dns.TypeA, "NXDOMAIN: ")

	// the peer's API server down: its last state keeps being served, the metric says so
	if err := p.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	harness.EventuallyEvery(t, 10*time.Second, 100*time.Millisecond, "peer_synced 0", func() (bool, string) {
		v := peerSynced("east")
		return v == "0", v
	})
	harness.Stays(t, 2*time.Second, addr, "next."+zone, dns.TypeA, "NOERROR: A 192.0.2.11")
	harness.ExpectNow(t, addr, "db-0.east.db."+zone, dns.TypeA, "NOERROR: A 10.8.1.1")

	// back: changes flow again
	if err := p.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 60*time.Second, "peer API server ready", func() (bool, string) { return p.Ready(ctx), "not ready" })
	start = time.Now()
	peerLoadBalancer(t, p, ns, "after", "192.0.2.14", exported)
	harness.Expect(t, 5*time.Second, addr, "after."+zone, dns.TypeA, "NOERROR: A 192.0.2.14")
	t.Logf("after the peer's API server came back, a new export answered %v after its creation", time.Since(start).Round(time.Millisecond))
	harness.EventuallyEvery(t, 10*time.Second, 100*time.Millisecond, "peer_synced 1", func() (bool, string) {
		v := peerSynced("east")
		return v == "1", v
	})
}

// TestPeerBadKubeconfig: a peer whose kubeconfig does not exist, or whose credentials the
// API server rejects, stops the server from starting with an error naming the file.
func TestPeerBadKubeconfig(t *testing.T) {
	e := k8senv.Get(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.kubeconfig")
	bad := kubeconfigWithToken(t, e, "not-a-token", filepath.Join(dir, "bad.kubeconfig"))
	// allowed to read Services but not Nodes, which a peer's node ports need: its reflector
	// would never list, so it is an error at start too
	noNodes := readerKubeconfigWith(t, e, e.Namespace(t, "peerbad"), fmt.Sprintf("dns-reader-nonodes-%d", time.Now().UnixNano()%1_000_000), "services")
	for _, kc := range []string{missing, bad, noNodes} {
		corefile := fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer west {
            kubeconfig %s
        }
    }
}
`, harness.FreePort(t), e.Kubeconfig, kc)
		i, err := coretest.CoreDNSServer(corefile)
		if err == nil {
			i.Stop()
			i.ShutdownCallbacks()
			t.Fatalf("server started with peer kubeconfig %s", kc)
		}
		if !strings.Contains(err.Error(), kc) || !strings.Contains(err.Error(), "peer west") {
			t.Errorf("error does not name the peer and its kubeconfig %s: %v", kc, err)
		}
		if kc == noNodes && !strings.Contains(err.Error(), `"nodes"`) {
			t.Errorf("error does not name what we may not read: %v", err)
		}
	}
}

// sortedA is the Answers form of A records of ips.
func sortedA(ips ...string) string {
	var parts []string
	for _, ip := range ips {
		parts = append(parts, "A "+ip)
	}
	slices.Sort(parts)
	return "NOERROR: " + strings.Join(parts, ", ")
}

// addrOrder lists the addresses of a reply's A and AAAA records in their order.
func addrOrder(m *dns.Msg) string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return strings.Join(out, " ")
}

// TestPeersMultiCluster: with multicluster on, a peer's export and the local ServiceImport
// of the same name merge, the ServiceImport's ClusterSetIP first; the peer's headless
// endpoints sit beside the imported ones.
func TestPeersMultiCluster(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	installServiceImportCRD(t, dynamicFor(t, e))
	ns := e.Namespace(t, "peermc")
	emptyAtEnd(t, e, ns)
	ctx := context.Background()
	if _, err := p.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	http := svcPort{"http", "TCP", 80}
	if _, err := dynamicFor(t, e).Resource(siGVR).Namespace(ns).Create(ctx,
		serviceImport(ns, "web", "ClusterSetIP", []string{"10.100.9.1"}, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	peerLoadBalancer(t, p, ns, "web", "192.0.2.20", exported)
	peerLoadBalancer(t, p, ns, "only", "192.0.2.21", exported)

	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local clusterset.local {
        kubeconfig %s
        multicluster clusterset.local
        peer east {
            kubeconfig %s
        }
    }
}
`, port, e.Kubeconfig, p.Kubeconfig))
	zone := ns + ".svc.clusterset.local."
	harness.Expect(t, 10*time.Second, addr, "web."+zone, dns.TypeA, sortedA("10.100.9.1", "192.0.2.20"))
	if got := addrOrder(harness.Query(t, addr, "web."+zone, dns.TypeA)); got != "10.100.9.1 192.0.2.20" {
		t.Errorf("web: addresses %s, want the ServiceImport's first", got)
	}
	harness.ExpectNow(t, addr, "only."+zone, dns.TypeA, "NOERROR: A 192.0.2.21")
	harness.ExpectNow(t, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: SRV 0 100 80 web."+zone)
	// the ServiceImport deleted: the peer's address stays, alone; a second import is the sentinel
	if err := dynamicFor(t, e).Resource(siGVR).Namespace(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamicFor(t, e).Resource(siGVR).Namespace(ns).Create(ctx,
		serviceImport(ns, "sentinel", "ClusterSetIP", []string{"10.100.9.2"}, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "sentinel."+zone, dns.TypeA, "NOERROR: A 10.100.9.2")
	harness.ExpectNow(t, addr, "web."+zone, dns.TypeA, "NOERROR: A 192.0.2.20")
}

// TestPeerReload: a reload that keeps a peer keeps its watches and its answers; one that
// removes it drops its names and closes its watches.
func TestPeerReload(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	ns := p.Namespace(t, "peerreload")
	peerLoadBalancer(t, p, ns, "web", "192.0.2.30", exported)
	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	corefile := func(peers string) string {
		return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        %s
    }
}
`, port, e.Kubeconfig, peers)
	}
	with := corefile("peer east {\n            kubeconfig " + p.Kubeconfig + "\n        }")
	inst, err := coretest.CoreDNSServer(with)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Stop(); inst.ShutdownCallbacks() })
	qname := "web." + ns + ".svc.clusterset.local."
	harness.Expect(t, 10*time.Second, addr, qname, dns.TypeA, "NOERROR: A 192.0.2.30")
	before := watches(t, p, "services")
	if before < 1 {
		t.Fatalf("%d watches on the peer's services, want ours", before)
	}

	if inst, err = inst.Restart(coretest.NewInput(with)); err != nil {
		t.Fatal(err)
	}
	harness.ExpectNow(t, addr, qname, dns.TypeA, "NOERROR: A 192.0.2.30") // kept, not relisted
	if n := watches(t, p, "services"); n != before {
		t.Errorf("%d watches on the peer's services after a reload keeping it, %d before", n, before)
	}

	if inst, err = inst.Restart(coretest.NewInput(corefile(""))); err != nil {
		t.Fatal(err)
	}
	// a block without peers has no clusterset.local: the name goes on to the next plugin, of
	// which there is none
	harness.ExpectNow(t, addr, qname, dns.TypeA, "SERVFAIL: ")
	harness.Eventually(t, 5*time.Second, "the peer's services watch closed", func() (bool, string) {
		n := watches(t, p, "services")
		return n < before, fmt.Sprint(n, " watches")
	})
	if v := peerSynced("east"); v != "absent" {
		t.Errorf("peer_synced{peer=east} = %s after the peer was removed, want it gone", v)
	}
}

// readerKubeconfig writes a kubeconfig for e that authenticates as a ServiceAccount allowed
// to read what a peer reads, through a ClusterRoleBinding named name; deleting it makes the
// API server reject (403) that reader.
func readerKubeconfig(t *testing.T, e *k8senv.Env, ns, name string) string {
	t.Helper()
	return readerKubeconfigWith(t, e, ns, name, "services", "nodes")
}

// readerKubeconfigWith is readerKubeconfig allowed to read the given core resources only
// (with EndpointSlices and ServiceExports).
func readerKubeconfigWith(t *testing.T, e *k8senv.Env, ns, name string, core ...string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: core, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"multicluster.x-k8s.io"}, Resources: []string{"serviceexports"}, Verbs: []string{"list", "watch"}},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return kubeconfigWithToken(t, e, tok.Status.Token, filepath.Join(t.TempDir(), name+".kubeconfig"))
}

// kubeconfigWithToken writes e's kubeconfig to path with token in place of its own.
func kubeconfigWithToken(t *testing.T, e *k8senv.Env, token, path string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.AuthInfos {
		u.Token = token
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPeerRejectsUs: a peer whose API server starts refusing our credentials keeps its last
// state, and the metric says it is not synced.
func TestPeerRejectsUs(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	installServiceExportCRD(t, dynamicFor(t, p))
	ns := p.Namespace(t, "peerreject")
	kc := readerKubeconfig(t, p, ns, "dns-reader")
	peerLoadBalancer(t, p, ns, "web", "192.0.2.40", exported)
	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer north {
            kubeconfig %s
        }
    }
}
`, port, e.Kubeconfig, kc))
	qname := "web." + ns + ".svc.clusterset.local."
	harness.Expect(t, 10*time.Second, addr, qname, dns.TypeA, "NOERROR: A 192.0.2.40")
	harness.EventuallyEvery(t, 10*time.Second, 100*time.Millisecond, "peer_synced 1", func() (bool, string) {
		v := peerSynced("north")
		return v == "1", v
	})
	if err := p.Client.RbacV1().ClusterRoleBindings().Delete(context.Background(), "dns-reader", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.EventuallyEvery(t, 10*time.Second, 100*time.Millisecond, "peer_synced 0", func() (bool, string) {
		v := peerSynced("north")
		return v == "0", v
	})
	harness.Stays(t, 2*time.Second, addr, qname, dns.TypeA, "NOERROR: A 192.0.2.40")
}

// TestPeerDownAtStart: a peer whose API server does not answer when we start is no error
// (the local cluster's DNS must not wait for another cluster); its names come once it is up.
func TestPeerDownAtStart(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	ns := p.Namespace(t, "peerdown")
	if err := p.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer south {
            kubeconfig %s
        }
    }
}
`, port, e.Kubeconfig, p.Kubeconfig))
	settleServices(t, e, "default", addr) // the local cluster zone answers
	if v := peerSynced("south"); v != "0" {
		t.Errorf("peer_synced{peer=south} = %s while its API server is down, want 0", v)
	}
	if err := p.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	harness.Eventually(t, 60*time.Second, "peer API server ready", func() (bool, string) { return p.Ready(ctx), "not ready" })
	peerLoadBalancer(t, p, ns, "web", "192.0.2.50", exported)
	harness.Expect(t, 5*time.Second, addr, "web."+ns+".svc.clusterset.local.", dns.TypeA, "NOERROR: A 192.0.2.50")
}
