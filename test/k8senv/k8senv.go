// Package k8senv starts a real kube-apiserver and etcd on loopback for tests, with the
// project's script test/k8s/apiserver.sh, and gives tests a client for it.
//
// When the binaries cannot be built or started, tests that need them are skipped, except
// under CI=true, where they fail: CI must never pass by skipping.
package k8senv

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Env is a running API server.
type Env struct {
	Kubeconfig string
	Client     kubernetes.Interface
	runDir     string
	script     string
}

var (
	current *Env
	failure error
)

// Main starts the API server for a test binary, runs the tests and stops it. Use it as
// TestMain: func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }.
func Main(m *testing.M) int {
	flag.Parse()
	current, failure = start()
	code := m.Run()
	if current != nil {
		current.stop()
	}
	return code
}

// Get returns the running Env, or skips the test (fails it under CI=true).
func Get(t testing.TB) *Env {
	t.Helper()
	if current != nil {
		return current
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("kube-apiserver unavailable under CI=true: %v", failure)
	}
	t.Skipf("kube-apiserver unavailable (run test/k8s/apiserver.sh build): %v", failure)
	return nil
}

// Another starts one more API server, with its own etcd, run directory and ports, for a
// test that needs a second cluster (a peer); it is stopped when the test ends. Stopping
// and starting it (StopAPIServer, StartAPIServer) touches no other test.
func Another(t testing.TB) *Env {
	t.Helper()
	Get(t) // skips, or fails under CI=true, as Get when the binaries are missing
	e, err := start()
	if err != nil {
		t.Fatalf("second kube-apiserver: %v", err)
	}
	t.Cleanup(e.stop)
	return e
}

func scriptPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "k8s", "apiserver.sh")
}

func start() (*Env, error) {
	if testing.Short() {
		return nil, fmt.Errorf("-short")
	}
	run, err := os.MkdirTemp("", "clusterdns-k8s-")
	if err != nil {
		return nil, err
	}
	e := &Env{runDir: run, script: scriptPath()}
	cmd := exec.Command("bash", e.script, "start")
	cmd.Env = append(os.Environ(), "CLUSTERDNS_K8S_RUN="+run)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("apiserver.sh start: %v: %s", err, stderr.String())
	}
	e.Kubeconfig = strings.TrimSpace(string(out))
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		e.stop()
		return nil, err
	}
	rc.QPS, rc.Burst = 1000, 2000
	if e.Client, err = kubernetes.NewForConfig(rc); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) stop() {
	cmd := exec.Command("bash", e.script, "stop", "--purge")
	cmd.Env = append(os.Environ(), "CLUSTERDNS_K8S_RUN="+e.runDir)
	_ = cmd.Run()
	os.RemoveAll(e.runDir)
}

// StopAPIServer kills kube-apiserver (kill -9, as a crash would) and leaves etcd running.
// Only a test package of its own may call it: every test of the binary shares the server.
func (e *Env) StopAPIServer() error { return e.script1("stop-apiserver") }

// StartAPIServer starts kube-apiserver again on the same etcd, port and certificates, and
// returns without waiting for it: Ready says when it is.
func (e *Env) StartAPIServer() error { return e.script1("start-apiserver", "--no-wait") }

// Ready reports whether the API server's /readyz answers ok.
func (e *Env) Ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	out, err := e.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil && string(out) == "ok"
}

func (e *Env) script1(args ...string) error {
	cmd := exec.Command("bash", append([]string{e.script}, args...)...)
	cmd.Env = append(os.Environ(), "CLUSTERDNS_K8S_RUN="+e.runDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apiserver.sh %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Namespace creates a namespace with a unique name. Without a controller manager a deleted
// namespace never finishes terminating, so every test gets a fresh one.
func (e *Env) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
	_, err := e.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}
