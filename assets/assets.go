// Package assets embeds the pod's static files (CSS, scripts, images),
// served under /assets/.
package assets

import "embed"

// FS holds every static file, by path below this folder (css/app.css, ...).
//
//go:embed css img js
var FS embed.FS
