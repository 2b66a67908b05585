package pod

import "github.com/aspenpod/aspen/pod/markup"

// PlainText is a post's or comment's text as plain text, the way its
// page reads: mentions become the names they show, markdown is dropped.
func PlainText(text string) string { return markup.Plain(PlainMentions(text, nil)) }

// Excerpt is PlainText cut to at most max characters (markup.Excerpt).
func Excerpt(text string, max int) string { return markup.Excerpt(PlainMentions(text, nil), max) }
