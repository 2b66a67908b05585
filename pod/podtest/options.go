package podtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/web"
)

// Addressed makes the pod believe it lives at host (host[:port]), reached
// over baseURL (no trailing slash): its users' diaspora IDs end in @host.
func Addressed(host, baseURL string) Option {
	return func(o *pod.Options, _ *web.Options) {
		o.Host, o.BaseURL = host, baseURL
	}
}

// NewReachable starts a pod (like New) whose Host and BaseURL are the
// loopback address it is served on, 127.0.0.1:PORT, so that discovery
// clients and other pods can reach its users by their diaspora IDs
// (alice@127.0.0.1:PORT) over plain http.
func NewReachable(t testing.TB, opts ...Option) *Pod {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	host := l.Addr().String()
	p := New(t, append(opts, Addressed(host, "http://"+host))...)
	// Serve the same handler on the reserved address; the server New
	// started stays up on its own port and is closed by New's cleanup.
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: p.Server.Config.Handler}}
	srv.Start()
	t.Cleanup(srv.Close)
	p.Server = srv
	return p
}
