// Package templates embeds the pod's html/template files: layouts/ holds the
// base layout, pages/ one file per page (each defines "title" and
// "content"). pod/web parses them once at start.
package templates

import "embed"

// FS holds every template file.
//
//go:embed layouts/*.html pages/*.html
var FS embed.FS
