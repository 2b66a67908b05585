package main

import (
	"fmt"
	"io"
)

// federation runs the protocol debugging tools.
func federation(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "pod federation: not wired yet")
	return 2
}
