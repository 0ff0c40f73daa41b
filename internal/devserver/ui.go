package devserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiopts "github.com/temporalio/ui-server/v2/server/server_options"
)

// UIOptions configure the embedded Temporal Web UI.
type UIOptions struct {
	// Port the UI listens on (127.0.0.1); 0 means no UI.
	Port int
	// TemporalAddress is the frontend's gRPC host:port the UI reads from.
	TemporalAddress string
	// Namespace the UI opens first.
	Namespace string
}

// UI is a running Temporal Web UI, the one `temporal server start-dev` serves.
type UI struct {
	srv *uiserver.Server
	url string
}

// StartUI serves the Temporal Web UI (its assets are embedded in the ui-server
// module) pointed at the embedded server, and waits until it answers.
func StartUI(o UIOptions) (*UI, error) {
	if o.Port <= 0 {
		return nil, errors.New("temporal ui: no port")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	// Fail now, with the port named, rather than inside the UI server's goroutine.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("temporal ui port %d: %w (set TEMPORAL_UI_PORT, or 0 to turn the UI off)", o.Port, err)
	}
	_ = l.Close()
	cfg := &uiconfig.Config{
		Host:                "127.0.0.1",
		Port:                o.Port,
		TemporalGRPCAddress: o.TemporalAddress,
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		// Served over plain HTTP on the loopback address.
		CORS: uiconfig.CORS{CookieInsecure: true},
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("temporal ui config: %w", err)
	}
	srv := uiserver.NewServer(uiopts.WithConfigProvider(cfg))
	go func() { _ = srv.Start() }()
	u := &UI{srv: srv, url: "http://" + addr}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(u.url + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			return u, nil
		}
		if time.Now().After(deadline) {
			srv.Stop()
			return nil, fmt.Errorf("temporal ui did not answer on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the UI's base address, e.g. http://127.0.0.1:8233.
func (u *UI) URL() string { return u.url }

// Stop closes the UI server.
func (u *UI) Stop() { u.srv.Stop() }
