package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
	"github.com/aspenpod/aspen/pod/podtest"
)

// tcpProxy forwards loopback connections to target until Stop, which also
// cuts every open connection: PostgreSQL "goes away" for the pod.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) Stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestReadyzFailsWhenPostgresIsUnreachable(t *testing.T) {
	modeltest.New(t) // makes sure the package database exists
	u, _ := url.Parse(modeltest.DSN(modeltest.PackageDBName("")))
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	st, err := models.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := podtest.Start(t, st, podtest.NewPrefix())
	c := p.Client()
	if r := c.Get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz with PostgreSQL up: %d %s", r.StatusCode, r.Body)
	}
	proxy.Stop()
	r := c.Get("/readyz")
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "PostgreSQL is unreachable") {
		t.Fatalf("readyz with PostgreSQL gone: %d %s", r.StatusCode, r.Body)
	}
	if r := c.Get("/healthz"); r.StatusCode != http.StatusOK {
		t.Fatalf("healthz should stay up: %d", r.StatusCode)
	}
}
