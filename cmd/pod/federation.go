package main

import (
	"io"

	"github.com/aspenpod/aspen/federation/cli"
)

// federation runs the protocol debugging tools of federation/cli; they need
// no database and no configuration.
func federation(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Main(args, stdin, stdout, stderr)
}
