package stub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// trusted is the certificate of dns.myco.com that this test process trusts: Go reads the
// system roots from SSL_CERT_FILE once, when it first needs them, so the certificate is made
// once too (go test -count=2 runs TestTLS twice in one process).
var trusted struct {
	once sync.Once
	cert tls.Certificate
}

func trustedCert(t *testing.T) tls.Certificate {
	trusted.once.Do(func() { trusted.cert = selfSigned(t, "dns.myco.com") })
	return trusted.cert
}

// selfSigned returns a certificate for name, its own CA, as the system roots.
func selfSigned(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", ca)
	t.Setenv("SSL_CERT_DIR", t.TempDir())
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLS(t *testing.T) {
	f := startFakeTLS(t, "fake-tls", trustedCert(t))
	tests := []struct {
		serverName string
		want       string // who.myco.com; "": SERVFAIL
	}{
		{"dns.myco.com", "fake-tls"},
		{"other.myco.com", ""}, // the certificate does not name it
	}
	for _, tt := range tests {
		s := startStub(t, func(c *Config) { c.TLSServerName = tt.serverName }, "tls://"+f.addr)
		if got := who(s); got != tt.want {
			t.Errorf("tls %s: want %q, got %q", tt.serverName, tt.want, got)
		}
		if tt.want == "" {
			if res := ask(s, "who.myco.com.", dns.TypeTXT, false); res.rcode != dns.RcodeServerFailure || res.msg != nil {
				t.Errorf("tls %s: want SERVFAIL left to the caller, got %d %v", tt.serverName, res.rcode, res.msg)
			}
		}
	}
}
