// Command pod is the one binary of the pod: the web server, the job worker,
// database migrations, operator tools and federation debugging tools.
//
//	pod serve [--no-worker]     HTTP server with an embedded job worker
//	pod worker                  job worker alone
//	pod migrate [apply|status]  database migrations
//	pod admin <verb> ...        create-user, make-admin, reset-password, fill-keys
//	pod federation <verb> ...   protocol tools (keygen, seal, verify, open, discover, fetch)
//	pod health [--url URL|--worker] container health check
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: pod <command> [arguments]

commands:
  serve [--no-worker]       start the web server (and, unless --no-worker, the job worker)
  worker                    start the job worker only
  migrate [apply|status]    apply pending database migrations, or list them
  admin <verb>              create-user, make-admin, reset-password, fill-keys (pod admin help)
  federation <verb>         federation debugging tools (pod federation help)
  health [--url URL|--worker] exit 0 when the URL answers 2xx, a worker runs here, or PostgreSQL and Redis answer

Configuration comes from POD_* environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code: 0 success,
// 1 failure, 2 misuse.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "worker":
		err = worker(ctx, args[1:], stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "admin":
		err = admin(ctx, args[1:], stdin, stdout, stderr)
	case "health":
		err = health(ctx, args[1:], stdout, stderr)
	case "federation":
		return federation(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pod: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if u, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "pod: %s\n", string(u))
			return 2
		}
		fmt.Fprintf(stderr, "pod: %v\n", err)
		return 1
	}
	return 0
}

// usageError is a misuse of the command line (exit code 2).
type usageError string

func (u usageError) Error() string { return string(u) }
