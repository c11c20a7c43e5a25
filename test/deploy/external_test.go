package deploy

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// queryFrom asks addr over UDP from the source address src, as a client of that network.
// Any 127.0.0.0/8 address is a source on the loopback interface.
func queryFrom(t *testing.T, src, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}}
	for try := 0; ; try++ {
		r, _, err := c.Exchange(m, addr)
		if err == nil {
			return r
		}
		if try == 2 {
			t.Fatalf("%s %s from %s: %v", name, dns.TypeToString[qtype], src, err)
		}
	}
}

// The shipped Corefile's peered listener serves the cluster zone to the allow-listed
// networks of external machines (CoreDNS's view plugin, incidr(client_ip(), ...)) and
// REFUSES it to every other client, which keeps the peered view. The test allow-lists
// 127.0.0.2 in place of the shipped documentation network and asks from 127.0.0.2 (an
// external machine) and 127.0.0.1 (any other peered client).
func TestExternalMachines(t *testing.T) {
	e := k8senv.Get(t)
	ns := e.Namespace(t, "external")
	ctx := context.Background()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
	svc, err := e.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Client.CoreV1().Services(ns).Delete(ctx, "api", metav1.DeleteOptions{}) })
	files := configMapFiles(t)
	b, err := os.ReadFile(filepath.Join(files, "Corefile"))
	if err != nil {
		t.Fatal(err)
	}
	const shipped = "incidr(client_ip(), '192.0.2.0/24')"
	if !strings.Contains(string(b), shipped) {
		t.Fatalf("the Corefile no longer allow-lists external machines with %s:\n%s", shipped, b)
	}
	corefile, ports := harness.Localize(t, strings.Replace(string(b), shipped, "incidr(client_ip(), '127.0.0.2/32')", 1), e.Kubeconfig, files)
	harness.Start(t, corefile)
	peered := fmt.Sprintf("127.0.0.1:%d", ports["5353"])

	expect := func(src, name string, qtype uint16, want string) {
		t.Helper()
		harness.Eventually(t, 5*time.Second, src+": "+name+" "+dns.TypeToString[qtype]+" = "+want, func() (bool, string) {
			got := harness.Answers(queryFrom(t, src, peered, name, qtype))
			return got == want, got
		})
	}
	cluster := "api." + ns + ".svc.cluster.local."
	// an external machine: the cluster zone, the private zones, still no recursion
	expect("127.0.0.2", cluster, dns.TypeA, "NOERROR: A "+svc.Spec.ClusterIP)
	expect("127.0.0.2", "_http._tcp.api."+ns+".svc.cluster.local.", dns.TypeSRV, "NOERROR: SRV 0 100 80 api."+ns+".svc.cluster.local.")
	expect("127.0.0.2", "web.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.80")
	expect("127.0.0.2", "example.com.", dns.TypeA, "REFUSED: ")
	// anyone else: REFUSED for cluster names, at once and for as long as we ask (the same
	// server answered the allowed client above, so it has the Service)
	for _, src := range []string{"127.0.0.1", "127.0.0.3"} {
		if got := harness.Answers(queryFrom(t, src, peered, cluster, dns.TypeA)); got != "REFUSED: " {
			t.Errorf("%s: %s A = %s, want REFUSED", src, cluster, got)
		}
		expect(src, "web.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.80")
	}
	harness.Stays(t, 500*time.Millisecond, peered, "kubernetes.default.svc.cluster.local.", dns.TypeA, "REFUSED: ")
}
