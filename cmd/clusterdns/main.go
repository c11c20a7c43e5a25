// Command clusterdns is CoreDNS with every in-tree plugin plus the clusterdns plugin.
package main

import (
	"fmt"
	"os"
	"runtime"

	_ "github.com/clusterdns/clusterdns/core"

	"github.com/coredns/coredns/coremain"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Printf("clusterdns %s\nCoreDNS-%s\n%s/%s, %s\n", version, coremain.CoreVersion, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return
		}
	}
	coremain.Run()
}
