// Package templates embeds the pod's html/template files: layouts/ holds the
// base layout, pages/ one file per page (each defines "title" and
// "content"). pod/web parses them once at start. mail/ holds the mails,
// each a .txt (text/template) and a .html (html/template) of one name,
// rendered by pod/mail.
package templates

import "embed"

// FS holds every template file.
//
//go:embed layouts/*.html pages/*.html mail/*.txt mail/*.html
var FS embed.FS
