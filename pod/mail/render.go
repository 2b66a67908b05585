package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/aspenpod/aspen/templates"
)

// The mail templates, parsed once: templates/mail/NAME.txt and NAME.html.
var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templates.FS, "mail/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templates.FS, "mail/*.html"))
)

// Render fills the text and HTML parts of the mail called name (e.g.
// "password_reset") with data.
func Render(name string, data any) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&t, name+".txt", data); err != nil {
		return "", "", fmt.Errorf("mail %s (text): %w", name, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&h, name+".html", data); err != nil {
		return "", "", fmt.Errorf("mail %s (html): %w", name, err)
	}
	return t.String(), h.String(), nil
}
