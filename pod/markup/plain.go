package markup

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

var (
	strict = bluemonday.StrictPolicy()
	// Ends of blocks, which end a paragraph in text (goldmark already puts
	// a line break after each line and list item).
	blockEnd = regexp.MustCompile(`(?i)</(p|h[1-6]|blockquote|pre|ul|ol|table)>`)
	blankRun = regexp.MustCompile(`\n[ \t]*\n[\s]*`)
	spaceRun = regexp.MustCompile(`[ \t]+`)
)

// Plain turns markdown into plain text, for mails and excerpts: the text
// as it reads on the page, without markup, links or images (their
// alternative text stays), paragraphs separated by one blank line.
func Plain(src string) string {
	h := blockEnd.ReplaceAllString(string(Render(src)), "$0\n")
	t := html.UnescapeString(strict.Sanitize(h))
	t = spaceRun.ReplaceAllString(t, " ")
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	t = blankRun.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(t)
}

// Excerpt is Plain cut to at most max characters (Cut).
func Excerpt(src string, max int) string { return Cut(Plain(src), max) }

// Cut cuts plain text to at most max characters, at a word boundary where
// there is one, with "…" when something was left out.
func Cut(t string, max int) string {
	if utf8.RuneCountInString(t) <= max {
		return t
	}
	cut := string([]rune(t)[:max])
	if i := strings.LastIndexAny(cut, " \n"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimSpace(cut) + "…"
}
