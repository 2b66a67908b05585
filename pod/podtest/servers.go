package podtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
)

// Servers of a test's own: durability tests stop and restart them, which
// they must never do to the machine's shared PostgreSQL and Redis that
// other test packages use at the same time.

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RedisServer is a redis-server process of the test's own, with an
// append-only file so that a restart keeps what was queued (as a
// production Redis for asynq must).
type RedisServer struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts a redis-server on a free port; it is stopped when the
// test ends. The test is skipped when redis-server is not installed.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed: this test needs a Redis server of its own to stop and restart")
	}
	r := &RedisServer{Port: FreePort(t), dir: t.TempDir()}
	r.Start(t)
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// Addr is the server's host:port.
func (r *RedisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

// URL is the redis:// URL of one of its databases.
func (r *RedisServer) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr(), db) }

// Running reports whether the server process is up.
func (r *RedisServer) Running() bool { return r.cmd != nil }

// Start starts the server (again, on the same port and data) and waits
// until it answers.
func (r *RedisServer) Start(t testing.TB) {
	t.Helper()
	if r.cmd != nil {
		return
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(r.done) }()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not answer", r.Port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down (SIGTERM: it writes its append-only file)
// and waits until it is gone.
func (r *RedisServer) Stop(t testing.TB) {
	t.Helper()
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// PGServer is a PostgreSQL cluster of the test's own, made with initdb and
// run with pg_ctl on a free port. As root (initdb refuses to run as root)
// its programs run as the postgres OS user.
type PGServer struct {
	Port   int
	bin    string
	dir    string // holds data/, the socket and the log; removed at the end
	asUser []string
}

// pgBinDir finds the PostgreSQL server programs: the newest
// /usr/lib/postgresql/*/bin (Debian), else initdb on PATH.
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// StartPostgres makes and starts a PostgreSQL cluster of the test's own;
// it is stopped and removed when the test ends. The test is skipped when
// the server programs (initdb, pg_ctl) are not installed.
func StartPostgres(t testing.TB) *PGServer {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		t.Skip("PostgreSQL's initdb and pg_ctl are not installed: this test needs a PostgreSQL server of its own to restart")
	}
	dir, err := os.MkdirTemp("", "aspen-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &PGServer{Port: FreePort(t), bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run initdb as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start(t)
	t.Cleanup(func() { p.stop("immediate") })
	return p
}

func (p *PGServer) data() string { return filepath.Join(p.dir, "data") }

func (p *PGServer) run(prog string, args ...string) ([]byte, error) {
	argv := append(append(append([]string(nil), p.asUser...), filepath.Join(p.bin, prog)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.dir
	return cmd.CombinedOutput()
}

// Start starts the server (again) and waits until it accepts connections.
func (p *PGServer) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
		p.Port, p.dir)
	if out, err := p.run("pg_ctl", "-D", p.data(), "-o", opts, "-l", filepath.Join(p.dir, "log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the server the fast way (every connection is closed) and
// waits until it is down.
func (p *PGServer) Stop(t testing.TB) {
	t.Helper()
	if out, err := p.stop("fast"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (p *PGServer) stop(mode string) ([]byte, error) {
	return p.run("pg_ctl", "-D", p.data(), "-m", mode, "-w", "-t", "30", "stop")
}

// URL is the postgres:// URL of a database on the server.
func (p *PGServer) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// Database creates a database on the server, applies the migrations and
// returns its URL and a store on it (closed when the test ends).
func (p *PGServer) Database(t testing.TB, name string) (string, *models.Store) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	conn.Close(ctx)
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	dsn := p.URL(name)
	st, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return dsn, st
}

var ownRedis struct {
	once sync.Once
	url  string
}

// FedRedisURL is the Redis that federating test pods use: a redis-server
// of the test process's own, started on first use and killed with the
// process, so that test packages running at the same time (go test -p)
// never share, nor empty, each other's Redis databases. Without
// redis-server installed it is the shared RedisURL.
func FedRedisURL(t testing.TB) string {
	ownRedis.once.Do(func() {
		ownRedis.url = RedisURL()
		if _, err := exec.LookPath("redis-server"); err != nil {
			return
		}
		port := FreePort(t)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--databases", "32")
		// The server ends with the test binary, however that ends.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Logf("podtest: own redis-server did not start (%v); using %s", err, ownRedis.url)
			return
		}
		go cmd.Wait() //nolint:errcheck // reaped when it dies
		url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
		opt, _ := redis.ParseURL(url)
		c := redis.NewClient(opt)
		defer c.Close()
		for i := 0; i < 100; i++ {
			if c.Ping(context.Background()).Err() == nil {
				ownRedis.url = url
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("podtest: own redis-server on port %d does not answer; using %s", port, ownRedis.url)
	})
	return ownRedis.url
}
