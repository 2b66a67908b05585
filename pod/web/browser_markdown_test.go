package web_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// markdownSample uses everything the markdown renderer produces.
const markdownSample = "# Heading one\n## Heading two\n### Heading three\n#### Heading four\n##### Heading five\n###### Heading six\n\n" +
	"A paragraph with **strong**, *emphasis*, ~~struck~~, `inline code` and a link https://example.org/some/long/path.\n\n" +
	"```\nfunc main() {\n\tfmt.Println(\"a very long line of code that is much wider than any phone screen and has to scroll sideways inside its box\")\n}\n```\n\n" +
	"> A quote\n> spanning lines\n>\n> > and a nested quote\n\n" +
	"- one\n- two\n  - two and a half\n  - two and three quarters\n- three\n\n1. first\n2. second\n\n" +
	"| Name | Pod | Since | Posts | A rather long column heading |\n| --- | :---: | ---: | --- | --- |\n" +
	"| alice | pod.example | 2019 | 1234 | some long cell text that makes the table wide |\n| bob | other.example | 2021 | 56 | more |\n\n" +
	"---\n\nThe end."

// TestBrowserMarkdownStyles: a post using every markdown element is
// styled (code blocks and quotes set apart, table cells ruled), and on a
// phone wide code and tables scroll inside the post instead of widening
// the page. Screenshots at desktop and phone width go to POD_TEST_OUTPUT.
func TestBrowserMarkdownStyles(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("alice")
	guid := post(t, c, markdownSample, "public")
	b := startBrowser(t, browserOutputDir(t))
	anon := b.user("visitor", p.Server.URL)
	anon.open("/posts/"+guid, 200)

	type styles struct {
		Missing      []string `json:"missing"`
		PreBg        string   `json:"preBg"`
		PreBorder    string   `json:"preBorder"`
		PreOverflow  string   `json:"preOverflow"`
		QuoteBorder  string   `json:"quoteBorder"`
		QuoteBorderS string   `json:"quoteBorderStyle"`
		CellBorder   string   `json:"cellBorder"`
		CellBorderS  string   `json:"cellBorderStyle"`
		TableOver    string   `json:"tableOverflow"`
		CodeBg       string   `json:"codeBg"`
		CodeFont     string   `json:"codeFont"`
		H1Size       float64  `json:"h1Size"`
		H6Size       float64  `json:"h6Size"`
		HrBorder     string   `json:"hrBorder"`
		UlPad        string   `json:"ulPad"`
	}
	st := get(anon, "read the computed styles", chromedp.Evaluate[styles](`(() => {
		const q = s => document.querySelector('.post .text ' + s);
		const cs = s => getComputedStyle(q(s));
		const missing = ['h1','h2','h3','h4','h5','h6','p','strong','em','del','code','pre','blockquote','blockquote blockquote',
			'ul','ul ul','ol','li','table','th','td','hr','a'].filter(s => !q(s));
		if (missing.length) return {missing};
		return {missing,
			preBg: cs('pre').backgroundColor, preBorder: cs('pre').borderLeftWidth, preOverflow: cs('pre').overflowX,
			quoteBorder: cs('blockquote').borderLeftWidth, quoteBorderStyle: cs('blockquote').borderLeftStyle,
			cellBorder: cs('td').borderTopWidth, cellBorderStyle: cs('td').borderTopStyle, tableOverflow: cs('table').overflowX,
			codeBg: cs('p code').backgroundColor, codeFont: cs('p code').fontFamily,
			h1Size: parseFloat(cs('h1').fontSize), h6Size: parseFloat(cs('h6').fontSize),
			hrBorder: cs('hr').borderTopWidth, ulPad: cs('ul').paddingLeft};
	})()`))
	if len(st.Missing) > 0 {
		t.Fatalf("the rendered post lacks %v:\n%s", st.Missing, anon.html())
	}
	transparent := func(c string) bool { return c == "" || c == "transparent" || c == "rgba(0, 0, 0, 0)" }
	checks := []struct {
		ok   bool
		what string
	}{
		{!transparent(st.PreBg) && st.PreBorder != "0px", fmt.Sprintf("code block has background %q, left border %q", st.PreBg, st.PreBorder)},
		{st.PreOverflow == "auto" || st.PreOverflow == "scroll", "code block overflow-x " + st.PreOverflow},
		{st.QuoteBorder != "0px" && st.QuoteBorderS == "solid", fmt.Sprintf("blockquote left border %s %s", st.QuoteBorder, st.QuoteBorderS)},
		{st.CellBorder != "0px" && st.CellBorderS == "solid", fmt.Sprintf("table cell border %s %s", st.CellBorder, st.CellBorderS)},
		{st.TableOver == "auto" || st.TableOver == "scroll", "table overflow-x " + st.TableOver},
		{!transparent(st.CodeBg) && strings.Contains(strings.ToLower(st.CodeFont), "mono"), fmt.Sprintf("inline code background %q font %q", st.CodeBg, st.CodeFont)},
		{st.H1Size > st.H6Size, fmt.Sprintf("h1 %.1fpx not larger than h6 %.1fpx", st.H1Size, st.H6Size)},
		{st.HrBorder != "0px", "hr border " + st.HrBorder},
		{st.UlPad != "0px", "list padding " + st.UlPad},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("markdown style: %s", c.what)
		}
	}
	// Also fails when anything sticks out sideways at phone width.
	b.screenshots(anon, "markdown-post")
}
