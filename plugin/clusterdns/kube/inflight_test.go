package kube

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestMaxInflight: a request waits while n are waiting for their response, and gives up
// when its context ends.
func TestMaxInflight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	rt := maxInflight(roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		entered <- struct{}{}
		<-release
		return &http.Response{StatusCode: http.StatusOK}, nil
	}), 1)
	req := func(ctx context.Context) *http.Request {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://api", nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := make(chan error, 1)
	go func() { _, err := rt.RoundTrip(req(context.Background())); first <- err }()
	<-entered // the first holds the only slot

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rt.RoundTrip(req(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("second request while the slot is held: %v, want context.Canceled", err)
	}

	second := make(chan error, 1)
	go func() { _, err := rt.RoundTrip(req(context.Background())); second <- err }()
	select {
	case <-entered:
		t.Fatal("second request went through while the first held the slot")
	case err := <-second:
		t.Fatalf("second request returned early: %v", err)
	default:
	}
	release <- struct{}{} // wait: the second cannot enter before the first has returned
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	<-entered
	release <- struct{}{}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}

// TestRestConfigTLS: tls CERT KEY CACERT applies to an endpoint and overrides a kubeconfig's.
func TestRestConfigTLS(t *testing.T) {
	rc, err := restConfig(Config{Endpoint: "https://api:6443", TLSCert: "c.pem", TLSKey: "k.pem", TLSCA: "ca.pem"})
	if err != nil {
		t.Fatal(err)
	}
	if tc := rc.TLSClientConfig; rc.Host != "https://api:6443" || tc.CertFile != "c.pem" || tc.KeyFile != "k.pem" || tc.CAFile != "ca.pem" {
		t.Errorf("endpoint with tls: %+v", rc)
	}

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	const file = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://file:6443", certificate-authority-data: Zm9v}}]
users: [{name: u, user: {token: secret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`
	if err := os.WriteFile(kc, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(kc)
	pems := map[string]string{}
	for _, n := range []string{"c", "k", "ca"} {
		pems[n] = filepath.Join(dir, n+".pem")
		if err := os.WriteFile(pems[n], nil, 0o600); err != nil { // read later, by the transport
			t.Fatal(err)
		}
	}
	rc, err = restConfig(Config{Kubeconfig: kc, TLSCert: pems["c"], TLSKey: pems["k"], TLSCA: pems["ca"]})
	if err != nil {
		t.Fatal(err)
	}
	if tc := rc.TLSClientConfig; rc.Host != "https://file:6443" || tc.CertFile != pems["c"] || tc.KeyFile != pems["k"] || tc.CAFile != pems["ca"] || len(tc.CAData) != 0 {
		t.Errorf("kubeconfig with tls: %+v", rc.TLSClientConfig)
	}
	rc, err = restConfig(Config{Kubeconfig: kc})
	if err != nil {
		t.Fatal(err)
	}
	if tc := rc.TLSClientConfig; string(tc.CAData) != "foo" || tc.CertFile != "" {
		t.Errorf("kubeconfig without tls: %+v", rc.TLSClientConfig)
	}
}
