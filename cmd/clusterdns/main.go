// Command clusterdns is CoreDNS with every in-tree plugin plus the clusterdns plugin.
package main

import (
	"fmt"
	"os"
	"runtime"

	_ "github.com/clusterdns/clusterdns/core"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/kubedns"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/memlimit"

	"github.com/coredns/coredns/coremain"
	clog "github.com/coredns/coredns/plugin/pkg/log"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "explain" {
		os.Exit(explainMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	for i, a := range os.Args[1:] {
		switch a {
		case "-version", "--version":
			fmt.Printf("clusterdns %s\nCoreDNS-%s\n%s/%s, %s\n", version, coremain.CoreVersion, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return
		case "-kubedns-to-corefile", "--kubedns-to-corefile":
			os.Exit(kubednsToCorefile(os.Args[i+2:]))
		case "-migrate", "--migrate":
			os.Exit(migrateMain(os.Args[i+2:], os.Stdout, os.Stderr))
		case "-validate", "--validate":
			os.Exit(validate(os.Args[1:], os.Stdout, os.Stderr))
		}
	}
	n, err := memlimit.Set()
	if n > 0 {
		clog.Infof("Go memory limit %d MiB: %.0f%% of the container's", n>>20, memlimit.Share*100)
	}
	if err != nil {
		clog.Warningf("the binary's pages keep their readahead under the memory limit: %v", err)
	}
	coremain.Run()
}

// kubednsToCorefile prints the Corefile lines equivalent to a kube-dns ConfigMap.
func kubednsToCorefile(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: clusterdns -kubedns-to-corefile PATH (a ConfigMap manifest, or the directory it is mounted on)")
		return 2
	}
	cfg, err := kubedns.Load(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Print(cfg.Corefile())
	return 0
}
