// Package e2e holds the end-to-end federation tests: several whole pods
// (database, Redis database, HTTP server and job worker each) in one test
// process, federating over loopback. It has no code of its own.
package e2e
