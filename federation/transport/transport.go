// Package transport is the outbound HTTP client of the federation library:
// bounded timeouts, bounded response bodies, a redirect limit, a
// User-Agent, no redirects on POST, and a guard that refuses to connect to
// loopback, private, link-local and other non-public addresses. The guard
// runs in the dialer's Control function, after DNS resolution, so DNS
// rebinding cannot get around it. Tests and development switch it off with
// Options.AllowPrivate, and allow plain http with Options.AllowHTTP.
package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/aspenpod/aspen/federation"
)

// Defaults for Options fields left zero.
const (
	DefaultTimeout      = 30 * time.Second // whole request, as diaspora
	DefaultDialTimeout  = 10 * time.Second
	DefaultMaxBodySize  = 2 << 20
	DefaultMaxRedirects = 4 // diaspora follows up to 4 redirects on GET
	DefaultUserAgent    = "AspenFederation/0.1"
)

// Options configure a Client.
type Options struct {
	Timeout      time.Duration // whole request including the body; DefaultTimeout if 0
	DialTimeout  time.Duration // TCP connect; DefaultDialTimeout if 0
	MaxBodySize  int64         // default response body limit; DefaultMaxBodySize if 0
	MaxRedirects int           // redirects followed by Get; DefaultMaxRedirects if 0, none if < 0
	UserAgent    string        // DefaultUserAgent if empty
	// AllowPrivate lets requests reach loopback, private and other
	// non-public addresses. Only for tests and development.
	AllowPrivate bool
	// AllowHTTP lets requests use plain http. Only for tests and development.
	AllowHTTP bool
}

// Client makes federation requests. It is safe for concurrent use.
type Client struct {
	opts       Options
	get        *http.Client
	post       *http.Client
	underlying *http.Transport
}

// New returns a Client with the given options.
func New(opts Options) *Client {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxBodySize == 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		dialer.Control = guardControl
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would bypass the address guard
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c := &Client{opts: opts, underlying: tr}
	c.get = &http.Client{Transport: tr, Timeout: opts.Timeout, CheckRedirect: c.checkRedirect}
	c.post = &http.Client{Transport: tr, Timeout: opts.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return c
}

// Options returns the effective options.
func (c *Client) Options() Options { return c.opts }

// HTTPClient returns the underlying client used for GET requests (with the
// redirect policy and the address guard).
func (c *Client) HTTPClient() *http.Client { return c.get }

// CloseIdleConnections closes idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.underlying.CloseIdleConnections() }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.opts.MaxRedirects < 0 || len(via) > c.opts.MaxRedirects {
		return federation.Errorf(federation.ErrHTTP, "stopped after %d redirects", len(via)-1)
	}
	return c.CheckURL(req.URL)
}

// CheckURL reports whether a URL may be requested: absolute, https (or http
// when AllowHTTP), with a host. Addresses are checked at connect time.
func (c *Client) CheckURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.opts.AllowHTTP:
	default:
		return federation.Errorf(federation.ErrForbiddenAddress, "scheme %q not allowed in %s", u.Scheme, u.Redacted())
	}
	if u.Host == "" {
		return federation.Errorf(federation.ErrForbiddenAddress, "no host in %s", u.Redacted())
	}
	return nil
}

// Response is a completed request.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	URL        *url.URL // the final URL, after redirects
}

// HTTPError is returned for a non-2xx answer. It wraps federation.ErrHTTP
// (and federation.ErrNotFound for 404 and 410).
type HTTPError struct {
	StatusCode int
	URL        string
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("%v: %s answered %d", federation.ErrHTTP, e.URL, e.StatusCode)
}

// Unwrap lets errors.Is match federation.ErrHTTP and, for 404/410,
// federation.ErrNotFound.
func (e *HTTPError) Unwrap() []error {
	if e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone {
		return []error{federation.ErrHTTP, federation.ErrNotFound}
	}
	return []error{federation.ErrHTTP}
}

// Get fetches a URL, following up to MaxRedirects redirects, and reads at
// most maxBody bytes of the body (the client default if maxBody <= 0). A
// non-2xx answer is an *HTTPError; a bigger body is ErrTooLarge.
func (c *Client) Get(ctx context.Context, rawURL, accept string, maxBody int64) (*Response, error) {
	req, err := c.newRequest(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.do(c.get, req, maxBody)
}

// Post sends body to a URL without following redirects (diaspora counts a
// redirect on delivery as a failure). Any non-2xx answer is an *HTTPError.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body []byte) (*Response, error) {
	req, err := c.newRequest(ctx, http.MethodPost, rawURL, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return c.do(c.post, req, 64<<10)
}

func (c *Client) newRequest(ctx context.Context, method, rawURL string, body []byte) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, federation.Wrap(federation.ErrForbiddenAddress, err, "bad URL")
	}
	if err := c.CheckURL(u); err != nil {
		return nil, err
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, federation.Wrap(federation.ErrForbiddenAddress, err, "bad request")
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	return req, nil
}

func (c *Client) do(hc *http.Client, req *http.Request, maxBody int64) (*Response, error) {
	if maxBody <= 0 {
		maxBody = c.opts.MaxBodySize
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > maxBody {
		return nil, federation.Errorf(federation.ErrTooLarge, "%s: body of %d bytes, limit %d", resp.Request.URL.Redacted(), resp.ContentLength, maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", resp.Request.URL.Redacted(), err)
	}
	if int64(len(body)) > maxBody {
		return nil, federation.Errorf(federation.ErrTooLarge, "%s: body larger than %d bytes", resp.Request.URL.Redacted(), maxBody)
	}
	out := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, URL: resp.Request.URL}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, &HTTPError{StatusCode: resp.StatusCode, URL: resp.Request.URL.Redacted()}
	}
	return out, nil
}

var forbiddenPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Forbidden reports whether the address guard refuses an IP address:
// loopback, private (RFC 1918, unique local), shared (CGNAT), link-local,
// multicast, unspecified, documentation and reserved ranges, also when
// written as IPv4-mapped or NAT64 IPv6.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if p := netip.MustParsePrefix("64:ff9b::/96"); p.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func guardControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return federation.Wrap(federation.ErrForbiddenAddress, err, "dial %s", address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return federation.Wrap(federation.ErrForbiddenAddress, err, "dial %s", address)
	}
	if Forbidden(ip) {
		return federation.Errorf(federation.ErrForbiddenAddress, "refusing to connect to non-public address %s", ip)
	}
	return nil
}
