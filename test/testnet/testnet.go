// Package testnet finds loopback ports for the servers tests start.
package testnet

import (
	"fmt"
	"net"
	"testing"
)

// FreePort returns a port free on 127.0.0.1 for both UDP and TCP at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		if tl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			tl.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}
