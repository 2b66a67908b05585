// Package mail sends the pod's mail: a Message (both a plain-text and an
// HTML part, and the headers that thread a conversation) goes to an SMTP
// server through github.com/wneessen/go-mail, which writes the MIME.
// Use cases never send directly: they queue a mail task through the outbox
// in their transaction, and the worker's job calls Send, with retries.
package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes (the values of POD_SMTP_TLS).
const (
	StartTLS = "starttls" // a plain connection upgraded with STARTTLS, required
	TLS      = "tls"      // TLS from the first byte (usually port 465)
	NoTLS    = "none"     // no encryption (a relay on the same machine)
)

// Options say how to reach the mail server. A zero Host means no mail.
type Options struct {
	Host     string
	Port     int
	User     string
	Password string
	// TLS is StartTLS, TLS or NoTLS.
	TLS string
	// From is the sender, e.g. "aspen <no-reply@pod.example.org>".
	From string
}

// Enabled reports whether mail is configured.
func (o Options) Enabled() bool { return o.Host != "" }

// Message is one mail to one recipient. It is also the payload of the mail
// task, so it holds only plain values.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
	// MessageID, if set, is the message's Message-ID (without <>), so
	// that a retry sends the same message.
	MessageID string `json:"message_id,omitempty"`
	// InReplyTo and References thread the mail under earlier ones (the
	// Message-IDs of a post's first notification, without <>).
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`
}

// Sender sends one message.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// SMTP sends through an SMTP server.
type SMTP struct{ opt Options }

// NewSMTP returns a Sender for the server opt names.
func NewSMTP(opt Options) *SMTP { return &SMTP{opt: opt} }

// ErrRejected marks a message the server refused for good (a 5xx answer):
// sending it again cannot help.
var ErrRejected = errors.New("the mail server rejected the message")

// Send connects, sends m and disconnects. A permanent refusal wraps
// ErrRejected; other failures (server away, 4xx) are worth a retry.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := s.build(m)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	opts := []gomail.Option{gomail.WithPort(s.opt.Port), gomail.WithTimeout(30 * time.Second)}
	switch s.opt.TLS {
	case TLS:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.opt.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.opt.User), gomail.WithPassword(s.opt.Password))
	}
	c, err := gomail.NewClient(s.opt.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// build writes m as a MIME message from the configured sender.
func (s *SMTP) build(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.opt.From); err != nil {
		return nil, fmt.Errorf("sender %q: %w", s.opt.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	if m.InReplyTo != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+m.InReplyTo+">")
	}
	if len(m.References) > 0 {
		refs := ""
		for i, r := range m.References {
			if i > 0 {
				refs += " "
			}
			refs += "<" + r + ">"
		}
		msg.SetGenHeader(gomail.HeaderReferences, refs)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
