// Command podload is the pod's load tooling, kept out of the pod binary:
// it fills a database with realistic volume through the same bulk
// statements the pod uses (models.StreamEntriesSQL for the streams), and
// drives a running pod over HTTP: its streams, posting, and, as remote pods
// would, receiving public envelopes and fanning limited posts out to them.
//
//	podload seed [--users N] [--posts N] ...   fill the database (POD_DATABASE_URL)
//	podload bench [--url URL] [--clients N] ... load-test a running pod
//
// Configuration comes from the same POD_* variables as the pod's.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: podload <command> [arguments]

commands:
  seed    fill the database with realistic volume for benchmarks
          ` + seedUsage + `
  bench   drive a running pod over HTTP (streams, posting, receiving, fan-out) and
          time it against bare SQL and bare RSA
          ` + benchUsage + `

Configuration comes from POD_* environment variables, as for pod; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code: 0 success,
// 1 failure, 2 misuse.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "seed":
		err = seedCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "podload: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if u, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "podload: %s\n", string(u))
			return 2
		}
		fmt.Fprintf(stderr, "podload: %v\n", err)
		return 1
	}
	return 0
}

// usageError is a misuse of the command line (exit code 2).
type usageError string

func (u usageError) Error() string { return string(u) }
