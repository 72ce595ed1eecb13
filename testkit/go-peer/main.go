// Command go-peer serves app "go", written with the official Inngest Go SDK (inngestgo), over HTTP in
// dev mode, so that the devserver's tests can run it as they run the JS peer. See README.md.
//
//	INNGEST_DEV=http://127.0.0.1:8288 go-peer --port 0
//	# prints: go-peer ready http://127.0.0.1:<port>/api/inngest inngestgo:v<version>
//	INNGEST_DEV=http://127.0.0.1:8288 go-peer --connect worker-1   # app goconn over Connect instead
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/inngest/inngestgo"
	"github.com/inngest/inngestgo/pkg/checkpoint"
)

func main() {
	port := flag.Int("port", 0, "loopback port to listen on (0: any free port)")
	connectID := flag.String("connect", "", "serve app goconn over a Connect worker with this instance id, not over HTTP")
	flag.Parse()
	if os.Getenv("INNGEST_DEV") == "" {
		fmt.Fprintln(os.Stderr, "go-peer: set INNGEST_DEV to the devserver's URL, e.g. INNGEST_DEV=http://127.0.0.1:8288")
		os.Exit(2)
	}
	if *connectID != "" {
		serveConnect(*connectID)
		return
	}

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-peer: cannot listen:", err)
		os.Exit(1)
	}
	serveURL, _ := url.Parse(fmt.Sprintf("http://%s/api/inngest", ln.Addr()))

	opts := inngestgo.ClientOpts{
		AppID:  "go",
		URL:    serveURL,
		Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	// PEER_CHECKPOINTING=on: every function checkpoints each step.run as it ends (POST /v1/checkpoint/{run}/async)
	// and runs on within the same call; off (default): one call per step, as inngestgo does unless asked.
	if os.Getenv("PEER_CHECKPOINTING") == "on" {
		opts.Checkpoint = checkpoint.ConfigSafe
	}
	client, err := inngestgo.NewClient(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-peer: cannot create the client:", err)
		os.Exit(1)
	}
	if err := register(client); err != nil {
		fmt.Fprintln(os.Stderr, "go-peer: cannot create the functions:", err)
		os.Exit(1)
	}

	mux := http.NewServeMux()
	mux.Handle("/api/inngest", client.Serve())
	fmt.Printf("go-peer ready %s inngestgo:v%s\n", serveURL, inngestgo.SDKVersion)
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "go-peer: serve:", err)
		os.Exit(1)
	}
}
