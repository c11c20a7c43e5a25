package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
)

// explainMain prints why a name answers what it answers, as a running server's explain
// endpoint (on its metrics listener) says.
func explainMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clusterdns explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:9153", "the server's metrics listener")
	port := fs.String("port", "", "the DNS port of the block to ask (5353: the peered clients' view); any when empty")
	view := fs.String("view", "", "the view of the block to ask")
	jsonOut := fs.Bool("json", false, "print the JSON as the endpoint returns it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clusterdns explain [-server URL] [-port PORT] [-view VIEW] [-json] NAME [TYPE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return 2
	}
	q := explain.Query{Server: *server, Name: fs.Arg(0), Type: fs.Arg(1), Port: *port, View: *view}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := explain.Fetch(ctx, http.DefaultClient, q)
	if err != nil {
		fmt.Fprintf(stderr, "clusterdns explain: %v\n", err)
		return 1
	}
	if *jsonOut {
		explain.PrintJSON(stdout, a)
	} else {
		explain.Print(stdout, a)
	}
	return 0
}
