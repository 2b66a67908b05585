package pod

import (
	"html/template"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/pod/markup"
)

// UsernameRE is what a username may contain (after NormalizeUsername).
var UsernameRE = regexp.MustCompile(`^[a-z0-9_.\-]+$`)

// NormalizeUsername trims and lower-cases a username as diaspora* does.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Truncate cuts s to at most n bytes.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Limits on post and comment text.
const (
	PostMaxLen    = 65535
	CommentMaxLen = 65535
	TagMaxLen     = 255
)

var (
	// @{Name; user@host} or @{user@host}, as diaspora* writes mentions.
	mentionRE = regexp.MustCompile(`@\{(?:([^{};]*);\s*)?([^{};\s]+@[^{};\s]+)\}`)
	// #tag after the start, a space or an opening bracket.
	tagRE = regexp.MustCompile(`(^|[\s(>])#([\p{L}\p{N}_\-]+)`)
	// A valid tag name, for routes and tag following.
	tagNameRE = regexp.MustCompile(`^[\p{L}\p{N}_\-]+$`)
)

// mention is one @{...} in a text.
type mention struct {
	Name       string
	DiasporaID string
}

// ExtractMentions lists the distinct diaspora IDs a text mentions.
func ExtractMentions(text string) []mention {
	var out []mention
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		id := strings.ToLower(m[2])
		if !seen[id] {
			seen[id] = true
			out = append(out, mention{Name: strings.TrimSpace(m[1]), DiasporaID: id})
		}
	}
	return out
}

// ExtractTags lists the distinct lower-cased tags of a text.
func ExtractTags(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range tagRE.FindAllStringSubmatch(text, -1) {
		t := strings.ToLower(m[2])
		if utf8.RuneCountInString(t) <= TagMaxLen && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// NormalizeTag checks a tag name from a URL or form and lower-cases it.
func NormalizeTag(name string) (string, bool) {
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
	if name == "" || utf8.RuneCountInString(name) > TagMaxLen || !tagNameRE.MatchString(name) {
		return "", false
	}
	return name, true
}

// PlainMentions turns mentions of people not in keep (lower-cased diaspora
// IDs) into plain names, so a limited post names nobody outside its
// audience as a mention.
func PlainMentions(text string, keep map[string]bool) string {
	return mentionRE.ReplaceAllStringFunc(text, func(s string) string {
		m := mentionRE.FindStringSubmatch(s)
		if keep[strings.ToLower(m[2])] {
			return s
		}
		if name := strings.TrimSpace(m[1]); name != "" {
			return name
		}
		return m[2]
	})
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `\<`, `>`, `\>`)

// RenderText renders post or comment markdown to safe HTML, linking
// mentions of known people (guids by lower-cased diaspora ID) and tags.
func RenderText(text string, people map[string]MentionTarget) template.HTML {
	text = mentionRE.ReplaceAllStringFunc(text, func(s string) string {
		m := mentionRE.FindStringSubmatch(s)
		name := strings.TrimSpace(m[1])
		p, ok := people[strings.ToLower(m[2])]
		if name == "" {
			name = p.Name
		}
		if name == "" {
			name = m[2]
		}
		if !ok {
			return mdEscaper.Replace(name)
		}
		return "[@" + mdEscaper.Replace(name) + "](/people/" + p.GUID + ")"
	})
	text = tagRE.ReplaceAllStringFunc(text, func(s string) string {
		m := tagRE.FindStringSubmatch(s)
		return m[1] + "[#" + mdEscaper.Replace(m[2]) + "](/tags/" + strings.ToLower(m[2]) + ")"
	})
	return markup.Render(text)
}

// MentionTarget is a mentioned person's link target.
type MentionTarget struct {
	GUID string
	Name string
}
