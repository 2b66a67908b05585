package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// podEnv points the command at a fresh, empty test database.
func podEnv(t *testing.T, suffix string) string {
	t.Helper()
	return podtest.CommandEnv(t, suffix)
}

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUnreachableServicesGiveOneClearLine(t *testing.T) {
	podEnv(t, "unreach")
	t.Setenv("POD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/pod?sslmode=disable&connect_timeout=2")
	code, _, stderr := runCmd(t, "", "serve")
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
		!strings.Contains(stderr, "cannot reach PostgreSQL at 127.0.0.1:1") || !strings.Contains(stderr, "pg_ctlcluster") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}

	podEnv(t, "unreach")
	t.Setenv("POD_REDIS_URL", "redis://127.0.0.1:1/0")
	code, _, stderr = runCmd(t, "", "serve")
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
		!strings.Contains(stderr, "cannot reach Redis at 127.0.0.1:1") || !strings.Contains(stderr, "redis-server") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	podEnv(t, "badcfg")
	t.Setenv("POD_REGISTRATIONS", "sometimes")
	code, _, stderr := runCmd(t, "", "serve")
	if code != 1 || !strings.Contains(stderr, "POD_REGISTRATIONS") {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
}

func TestMigrateAndRefuseOutdatedSchema(t *testing.T) {
	podEnv(t, "migrate")
	t.Setenv("POD_AUTO_MIGRATE", "false")
	code, _, stderr := runCmd(t, "", "serve")
	if code != 1 || !strings.Contains(stderr, "schema is out of date") || !strings.Contains(stderr, "pod migrate apply") {
		t.Fatalf("serve on an empty database with auto-migrate off: exit %d, %s", code, stderr)
	}
	code, out, stderr := runCmd(t, "", "migrate", "status")
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCmd(t, "", "migrate", "apply")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate apply: %d %s", code, out)
	}
	code, out, _ = runCmd(t, "", "migrate", "apply")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate apply: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "migrate", "sideways"); code != 2 {
		t.Fatalf("bad verb: exit %d, want 2", code)
	}
}

func TestAdminCommands(t *testing.T) {
	podEnv(t, "admin")
	code, out, stderr := runCmd(t, "hunter22\n", "admin", "create-user", "--username", "Boss", "--email", "boss@example.org")
	if code != 0 || !strings.Contains(out, "created boss@localhost:3000") {
		t.Fatalf("create-user: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, "", "admin", "create-user", "--username", "boss", "--email", "b2@example.org", "--password", "hunter22"); code != 1 || !strings.Contains(stderr, "already taken") {
		t.Fatalf("duplicate create-user: %d %s", code, stderr)
	}
	if code, out, _ := runCmd(t, "", "admin", "make-admin", "boss"); code != 0 || !strings.Contains(out, "now an admin") {
		t.Fatalf("make-admin: %d %s", code, out)
	}
	if code, out, _ := runCmd(t, "", "admin", "reset-password", "boss", "--password", "newpass99"); code != 0 || !strings.Contains(out, "changed") {
		t.Fatalf("reset-password: %d %s", code, out)
	}
	if code, _, stderr := runCmd(t, "", "admin", "reset-password", "ghost", "--password", "newpass99"); code != 1 || !strings.Contains(stderr, "no user") {
		t.Fatalf("reset-password of unknown user: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "", "admin", "explode"); code != 2 {
		t.Fatalf("unknown verb: exit %d", code)
	}
	if code, out, _ := runCmd(t, "", "admin", "fill-keys", "--count", "2"); code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("fill-keys: %d %s", code, out)
	}
}

func TestServeStartsAndShutsDownGracefully(t *testing.T) {
	podEnv(t, "serve")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("POD_LISTEN", addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() { done <- run(ctx, []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}, &errb) }()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get(fmt.Sprintf("http://%s/", addr)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		cancel()
		t.Fatalf("pod serve did not answer: %v\n%s", err, errb.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestFederationToolsAreWired(t *testing.T) {
	code, out, stderr := runCmd(t, "", "federation", "keygen", "--bits", "1024")
	if code != 0 || !strings.Contains(out, "BEGIN RSA PRIVATE KEY") {
		t.Fatalf("pod federation keygen: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, _ := runCmd(t, "", "federation", "no-such-verb"); code != 2 {
		t.Fatalf("unknown verb: exit %d, want 2", code)
	}
}
