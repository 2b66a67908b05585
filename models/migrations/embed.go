// Package migrations holds the pod's numbered SQL migrations, embedded in the
// binary. Files are named NNNNN_what.sql and written for goose: an Up and a
// Down section each. Migrations never import live models.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
