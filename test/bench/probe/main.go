// Command probe waits for what the benchmark times at a server's start and after a relist.
//
//	probe cold -pid PID -since UNIX_NANOS -ready http://127.0.0.1:RPORT/ready -dns 127.0.0.1:PORT -name FQDN -want ADDR
//	probe sentinel -kubeconfig KC -dns 127.0.0.1:PORT -ns NS -name NAME
//
// cold polls /ready (until 200) and the DNS server (until FQDN's A answer holds ADDR; without
// -want any NOERROR reply counts: whoami's has no answer section) side by side and prints
// the seconds from -since (taken by the caller just before it started the server) until
// each held: `ready_s=0.412 answer_s=0.415`. It fails when the process -pid exits first or
// after -timeout.
//
// sentinel creates a ClusterIP Service (and its namespace) and waits until the DNS server
// answers its name with the address the API server gave it: proof that the server has seen a
// change made after the moment sentinel started, e.g. after an API server restart. It prints
// `sentinel_s=1.234`, the seconds from the first create attempt (it retries while the API
// server refuses) until the answer.
//
// A shell loop of curl and dig forks two processes per round and would add tens of
// milliseconds to every cold start figure; this polls in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// DNS is polled every millisecond; /ready every 10: the ready plugin logs a line for every
// 503, and a log line a millisecond would slow down the start being timed.
const (
	dnsEvery   = time.Millisecond
	readyEvery = 10 * time.Millisecond
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: probe cold|sentinel [flags]")
	}
	var err error
	switch os.Args[1] {
	case "cold":
		err = cold(os.Args[2:])
	case "sentinel":
		err = sentinel(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q: want cold or sentinel", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

func cold(args []string) error {
	fs := flag.NewFlagSet("cold", flag.ExitOnError)
	pid := fs.Int("pid", 0, "the server's process id (required)")
	since := fs.Int64("since", 0, "when the server was started, Unix nanoseconds (required)")
	ready := fs.String("ready", "", "the ready plugin's URL; empty: not polled")
	server := fs.String("dns", "", "DNS server address; empty: not polled")
	name := fs.String("name", "", "name to ask for (A)")
	want := fs.String("want", "", "address the answer must hold; empty: any NOERROR answer")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after")
	_ = fs.Parse(args)
	if *pid == 0 || *since == 0 || (*ready == "" && *server == "") || (*server != "" && *name == "") {
		fs.Usage()
		os.Exit(2)
	}
	var wantIP netip.Addr
	if *want != "" {
		var err error
		if wantIP, err = netip.ParseAddr(*want); err != nil {
			return err
		}
	}
	start := time.Unix(0, *since)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	go func() { // a server that exits never becomes ready: stop at once
		for ctx.Err() == nil {
			if syscall.Kill(*pid, 0) != nil {
				log.Printf("process %d exited", *pid)
				os.Exit(1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	var readyS, answerS string
	var readyErr, answerErr error
	if *ready != "" {
		wg.Go(func() {
			c := &http.Client{Timeout: time.Second}
			readyErr = poll(ctx, start, readyEvery, &readyS, func() bool {
				r, err := c.Get(*ready)
				if err != nil {
					return false
				}
				r.Body.Close()
				return r.StatusCode == http.StatusOK
			})
		})
	}
	if *server != "" {
		wg.Go(func() {
			c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
			q := new(dns.Msg)
			q.SetQuestion(dns.Fqdn(*name), dns.TypeA)
			answerErr = poll(ctx, start, dnsEvery, &answerS, func() bool {
				r, _, err := c.Exchange(q, *server)
				return err == nil && r.Rcode == dns.RcodeSuccess && (!wantIP.IsValid() || answers(r, wantIP))
			})
		})
	}
	wg.Wait()
	if err := errors.Join(readyErr, answerErr); err != nil {
		return err
	}
	fmt.Printf("ready_s=%s answer_s=%s\n", or(readyS, "n/a"), or(answerS, "n/a"))
	return nil
}

// poll calls ok every interval until it holds and stores the seconds since start in out.
func poll(ctx context.Context, start time.Time, every time.Duration, out *string, ok func() bool) error {
	for {
		if ok() {
			*out = fmt.Sprintf("%.3f", time.Since(start).Seconds())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not there after %s", time.Since(start).Round(time.Millisecond))
		case <-time.After(every):
		}
	}
}

func sentinel(args []string) error {
	fs := flag.NewFlagSet("sentinel", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server (required)")
	server := fs.String("dns", "", "DNS server address (required)")
	ns := fs.String("ns", "", "namespace to create the Service in; created if missing (required)")
	name := fs.String("name", "sentinel", "Service to create (must not exist)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after")
	_ = fs.Parse(args)
	if *kubeconfig == "" || *server == "" || *ns == "" {
		fs.Usage()
		os.Exit(2)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	var svc *corev1.Service
	var invalid error
	// The API server may still be coming up (or refuse writes while it does): retry, but not
	// a request it will never take (a bad namespace name).
	if err := poll(ctx, start, 100*time.Millisecond, new(string), func() bool {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: *ns}}, metav1.CreateOptions{})
		if apierrors.IsInvalid(err) {
			invalid = err
			return true
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return false
		}
		svc, err = cs.CoreV1().Services(*ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: *name, Namespace: *ns},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}},
		}, metav1.CreateOptions{})
		return err == nil
	}); err != nil {
		return fmt.Errorf("creating %s/%s: %w", *ns, *name, err)
	}
	if invalid != nil {
		return invalid
	}
	ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
	if err != nil {
		return fmt.Errorf("%s/%s has no ClusterIP: %w", *ns, *name, err)
	}
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion(fmt.Sprintf("%s.%s.svc.cluster.local.", *name, *ns), dns.TypeA)
	var took string
	if err := poll(ctx, start, dnsEvery, &took, func() bool {
		r, _, err := c.Exchange(q, *server)
		return err == nil && answers(r, ip)
	}); err != nil {
		return fmt.Errorf("%s/%s (%s) never answered: %w", *ns, *name, ip, err)
	}
	fmt.Printf("sentinel_s=%s\n", took)
	return nil
}

func answers(r *dns.Msg, ip netip.Addr) bool {
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			if got, ok := netip.AddrFromSlice(a.A); ok && got.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
