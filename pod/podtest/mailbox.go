package podtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/web"
)

// SMTPAddr is the test mail server (POD_TEST_SMTP, default the OpenSMTPD
// that .ci/services starts on 127.0.0.1:2525).
func SMTPAddr() string {
	if a := os.Getenv("POD_TEST_SMTP"); a != "" {
		return a
	}
	return "127.0.0.1:2525"
}

// MaildirPath is where the test mail server delivers every message
// (POD_TEST_MAILDIR, default /tmp/aspen-test-mail/Maildir).
func MaildirPath() string {
	if d := os.Getenv("POD_TEST_MAILDIR"); d != "" {
		return d
	}
	return "/tmp/aspen-test-mail/Maildir"
}

// WithMail makes a test pod send its mail through the test mail server.
func WithMail() Option {
	return func(o *pod.Options, _ *web.Options) {
		host, port, _ := net.SplitHostPort(SMTPAddr())
		n, _ := strconv.Atoi(port)
		o.Mail = mail.Options{Host: host, Port: n, TLS: mail.NoTLS, From: "aspen test pod <no-reply@pod.test>"}
	}
}

// Mail is a message as the test mail server delivered it.
type Mail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

// AwaitMail waits up to timeout for a message to address in the test
// Maildir and returns the newest one. Tests give each recipient a unique
// address, so that they do not read each other's mail.
func AwaitMail(t testing.TB, address string, timeout time.Duration) *Mail {
	t.Helper()
	var got *Mail
	Eventually(t, timeout, func() bool {
		ms := MailsTo(t, address)
		if len(ms) > 0 {
			got = ms[len(ms)-1]
		}
		return got != nil
	}, "no mail to %s arrived in %s", address, MaildirPath())
	return got
}

// MailsTo returns the messages to address in the test Maildir, oldest
// first.
func MailsTo(t testing.TB, address string) []*Mail {
	t.Helper()
	var out []*Mail
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(MaildirPath(), sub))
		if err != nil {
			t.Fatalf("read the test Maildir (is OpenSMTPD running? see .ci/services): %v", err)
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil {
				files = append(files, file{filepath.Join(MaildirPath(), sub, e.Name()), info.ModTime()})
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
	for _, f := range files {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		m, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		to, _ := m.Header.AddressList("To")
		if len(to) != 1 || !strings.EqualFold(to[0].Address, address) {
			continue
		}
		out = append(out, parseMail(t, m))
	}
	return out
}

// parseMail reads the text and HTML parts of a message.
func parseMail(t testing.TB, m *netmail.Message) *Mail {
	t.Helper()
	out := &Mail{Header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("mail without a readable Content-Type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		out.Text = decodePart(t, m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return out
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("mail parts: %v", err)
		}
		body := decodePart(t, p.Header.Get("Content-Transfer-Encoding"), p)
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.Text = body
		case "text/html":
			out.HTML = body
		}
	}
}

func decodePart(t testing.TB, encoding string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("mail part: %v", err)
	}
	return string(b)
}
