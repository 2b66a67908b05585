package markup

import (
	"strings"
	"testing"
)

func TestRenderIsInert(t *testing.T) {
	cases := map[string]string{
		"script":     "hi <script>alert(1)</script>",
		"js link":    "[x](javascript:alert(1))",
		"event attr": `<img src=x onerror="alert(1)">`,
		"raw html":   `<div onclick="alert(1)">x</div><iframe src="https://evil"></iframe>`,
		"data link":  "[x](data:text/html;base64,PHNjcmlwdD4=)",
	}
	for name, src := range cases {
		out := strings.ToLower(string(Render(src)))
		for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "<iframe", "data:text"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: output %q contains %q", name, out, bad)
			}
		}
	}
}

func TestRenderFormatsAndLinks(t *testing.T) {
	out := string(Render("**bold** see https://example.org"))
	if !strings.Contains(out, "<strong>bold</strong>") {
		t.Errorf("no bold in %q", out)
	}
	if !strings.Contains(out, `href="https://example.org"`) || !strings.Contains(out, "noreferrer") {
		t.Errorf("bare link not auto-linked safely in %q", out)
	}
}

// TestRenderKeepsTableAlignment: a table's column alignment (":-:", "--:")
// survives sanitising, as an align attribute the stylesheet honours.
func TestRenderKeepsTableAlignment(t *testing.T) {
	out := string(Render("| a | b | c |\n| :-- | :-: | --: |\n| 1 | 2 | 3 |"))
	for _, want := range []string{`<th align="left">a</th>`, `<td align="center">2</td>`, `<td align="right">3</td>`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in %q", want, out)
		}
	}
	if out := string(Render("| a |\n| --- |\n| <span style=\"color:red\">x</span> |")); strings.Contains(out, "style=") {
		t.Errorf("a style attribute got through: %q", out)
	}
}

func TestPlainAndExcerpt(t *testing.T) {
	got := Plain("# Title\n\n**Bold** and [a link](https://example.org) & <script>x()</script>\nnext line\n\n- one\n- two")
	want := "Title\n\nBold and a link & x()\nnext line\n\none\ntwo"
	if got != want {
		t.Errorf("Plain = %q, want %q", got, want)
	}
	if got := Excerpt("one two three four five six", 12); got != "one two…" {
		t.Errorf("Excerpt = %q", got)
	}
	if got := Excerpt("short", 12); got != "short" {
		t.Errorf("Excerpt of a short text = %q", got)
	}
	if got := Cut("ääääääääää", 4); got != "ääää…" {
		t.Errorf("Cut counts characters, not bytes: %q", got)
	}
}
