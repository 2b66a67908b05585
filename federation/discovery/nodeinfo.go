package discovery

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"

	"github.com/aspenpod/aspen/federation"
)

// NodeInfo schema URLs (rel values and profile parameters).
const (
	NodeInfoSchema20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	NodeInfoSchema21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

// NodeInfoContentType returns the content type to serve a NodeInfo document
// of the given version with.
func NodeInfoContentType(version string) string {
	return `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + version + `#"`
}

// NodeInfo is a NodeInfo 2.0 or 2.1 document.
type NodeInfo struct {
	Version           string         `json:"version"`
	Software          Software       `json:"software"`
	Protocols         []string       `json:"protocols"`
	Services          Services       `json:"services"`
	OpenRegistrations bool           `json:"openRegistrations"`
	Usage             Usage          `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

// Software names the server software. Repository and Homepage exist in 2.1
// only.
type Software struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// Services lists third-party services the pod can read from or post to.
type Services struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// Usage holds usage statistics; nil counts are omitted.
type Usage struct {
	Users         UsageUsers `json:"users"`
	LocalPosts    *int64     `json:"localPosts,omitempty"`
	LocalComments *int64     `json:"localComments,omitempty"`
}

// UsageUsers holds user counts; nil counts are omitted.
type UsageUsers struct {
	Total          *int64 `json:"total,omitempty"`
	ActiveHalfyear *int64 `json:"activeHalfyear,omitempty"`
	ActiveMonth    *int64 `json:"activeMonth,omitempty"`
}

// NodeInfoInput is what the pod knows about itself.
type NodeInfoInput struct {
	SoftwareName      string // ^[a-z0-9-]+$
	SoftwareVersion   string
	Repository        string // 2.1 only
	Homepage          string // 2.1 only
	OpenRegistrations bool
	Users             UsageUsers
	LocalPosts        *int64
	LocalComments     *int64
	NodeName          string         // metadata.nodeName, if not empty
	Metadata          map[string]any // extra free-form metadata
}

var softwareNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

var (
	nodeInfoProtocols = []string{"activitypub", "buddycloud", "dfrn", "diaspora", "libertree", "ostatus", "pumpio", "tent", "xmpp", "zot"}
	inboundServices   = []string{"atom1.0", "gnusocial", "imap", "pnut", "pop3", "pumpio", "rss2.0", "twitter"}
	outboundServices  = []string{"atom1.0", "blogger", "buddycloud", "diaspora", "dreamwidth", "drupal", "facebook", "friendica", "gnusocial", "google", "insanejournal", "libertree", "linkedin", "livejournal", "mediagoblin", "myspace", "pinterest", "pnut", "posterous", "pumpio", "redmatrix", "rss2.0", "smtp", "tent", "tumblr", "twitter", "wordpress", "xmpp"}
)

// BuildNodeInfo returns a schema-valid NodeInfo document of version "2.0" or
// "2.1" with protocols ["diaspora"]. 1.0 cannot be produced by new software
// (its schema restricts software.name) and is not offered.
func BuildNodeInfo(version string, in NodeInfoInput) ([]byte, error) {
	ni := NodeInfo{
		Version:           version,
		Software:          Software{Name: in.SoftwareName, Version: in.SoftwareVersion},
		Protocols:         []string{"diaspora"},
		Services:          Services{Inbound: []string{}, Outbound: []string{}},
		OpenRegistrations: in.OpenRegistrations,
		Usage:             Usage{Users: in.Users, LocalPosts: in.LocalPosts, LocalComments: in.LocalComments},
		Metadata:          map[string]any{},
	}
	for k, v := range in.Metadata {
		ni.Metadata[k] = v
	}
	if in.NodeName != "" {
		ni.Metadata["nodeName"] = in.NodeName
	}
	if version == "2.1" {
		ni.Software.Repository, ni.Software.Homepage = in.Repository, in.Homepage
	}
	b, err := json.Marshal(ni)
	if err != nil {
		return nil, federation.Wrap(federation.ErrValidation, err, "NodeInfo metadata")
	}
	if _, err := ParseNodeInfo(b); err != nil {
		return nil, err
	}
	return b, nil
}

// WellKnownNodeInfo returns the /.well-known/nodeinfo JRD for a pod base URL,
// listing 2.0 and 2.1.
func WellKnownNodeInfo(podURL string) []byte {
	if len(podURL) == 0 || podURL[len(podURL)-1] != '/' {
		podURL += "/"
	}
	b, _ := json.Marshal(map[string][]Link{"links": {
		{Rel: NodeInfoSchema20, Href: podURL + "nodeinfo/2.0"},
		{Rel: NodeInfoSchema21, Href: podURL + "nodeinfo/2.1"},
	}})
	return b
}

// ParseWellKnownNodeInfo returns the URL of the highest NodeInfo version
// (2.1, then 2.0) listed in a /.well-known/nodeinfo document.
func ParseWellKnownNodeInfo(data []byte) (version, href string, err error) {
	if len(data) > MaxDocumentSize {
		return "", "", federation.Errorf(federation.ErrTooLarge, "nodeinfo JRD is %d bytes", len(data))
	}
	var j struct {
		Links []Link `json:"links"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return "", "", federation.Wrap(federation.ErrMalformed, err, "nodeinfo JRD")
	}
	for _, want := range []struct{ v, rel string }{{"2.1", NodeInfoSchema21}, {"2.0", NodeInfoSchema20}} {
		for _, l := range j.Links {
			if l.Rel == want.rel && absURLWithPath(l.Href) {
				return want.v, l.Href, nil
			}
		}
	}
	return "", "", federation.Errorf(federation.ErrValidation, "nodeinfo JRD lists no 2.0 or 2.1 document")
}

func strictKeys(raw json.RawMessage, what string, allowed ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return federation.Wrap(federation.ErrValidation, err, "NodeInfo %s is not an object", what)
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			return federation.Errorf(federation.ErrValidation, "NodeInfo %s has unknown property %q", what, k)
		}
	}
	return nil
}

// ParseNodeInfo parses a NodeInfo 2.0 or 2.1 document and checks it against
// the schema's constraints (required properties, no additional properties
// where the schema forbids them, enums, software name pattern, non-negative
// counts).
func ParseNodeInfo(data []byte) (*NodeInfo, error) {
	if len(data) > MaxDocumentSize {
		return nil, federation.Errorf(federation.ErrTooLarge, "NodeInfo is %d bytes, limit %d", len(data), MaxDocumentSize)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, federation.Wrap(federation.ErrMalformed, err, "NodeInfo JSON")
	}
	for _, k := range []string{"version", "software", "protocols", "services", "openRegistrations", "usage", "metadata"} {
		if _, ok := top[k]; !ok {
			return nil, federation.Errorf(federation.ErrValidation, "NodeInfo lacks %q", k)
		}
	}
	if err := strictKeys(data, "document", "version", "software", "protocols", "services", "openRegistrations", "usage", "metadata"); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var ni NodeInfo
	if err := dec.Decode(&ni); err != nil {
		return nil, federation.Wrap(federation.ErrValidation, err, "NodeInfo types")
	}
	swKeys := []string{"name", "version"}
	switch ni.Version {
	case "2.0":
	case "2.1":
		swKeys = append(swKeys, "repository", "homepage")
	default:
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo version %q is not 2.0 or 2.1", ni.Version)
	}
	if err := strictKeys(top["software"], "software", swKeys...); err != nil {
		return nil, err
	}
	if !softwareNameRE.MatchString(ni.Software.Name) {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo software.name %q does not match ^[a-z0-9-]+$", ni.Software.Name)
	}
	if ni.Software.Version == "" {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo software.version is missing")
	}
	if len(ni.Protocols) == 0 {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo protocols is empty")
	}
	for _, p := range ni.Protocols {
		if !slices.Contains(nodeInfoProtocols, p) {
			return nil, federation.Errorf(federation.ErrValidation, "NodeInfo protocol %q is not in the schema", p)
		}
	}
	if err := strictKeys(top["services"], "services", "inbound", "outbound"); err != nil {
		return nil, err
	}
	if ni.Services.Inbound == nil || ni.Services.Outbound == nil {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo services needs inbound and outbound arrays")
	}
	for _, s := range ni.Services.Inbound {
		if !slices.Contains(inboundServices, s) {
			return nil, federation.Errorf(federation.ErrValidation, "NodeInfo inbound service %q is not in the schema", s)
		}
	}
	for _, s := range ni.Services.Outbound {
		if !slices.Contains(outboundServices, s) {
			return nil, federation.Errorf(federation.ErrValidation, "NodeInfo outbound service %q is not in the schema", s)
		}
	}
	if err := strictKeys(top["usage"], "usage", "users", "localPosts", "localComments"); err != nil {
		return nil, err
	}
	var usage map[string]json.RawMessage
	_ = json.Unmarshal(top["usage"], &usage)
	if _, ok := usage["users"]; !ok {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo usage.users is missing")
	}
	if err := strictKeys(usage["users"], "usage.users", "total", "activeHalfyear", "activeMonth"); err != nil {
		return nil, err
	}
	for _, n := range []*int64{ni.Usage.Users.Total, ni.Usage.Users.ActiveHalfyear, ni.Usage.Users.ActiveMonth, ni.Usage.LocalPosts, ni.Usage.LocalComments} {
		if n != nil && *n < 0 {
			return nil, federation.Errorf(federation.ErrValidation, "NodeInfo usage counts must not be negative")
		}
	}
	if ni.Metadata == nil {
		return nil, federation.Errorf(federation.ErrValidation, "NodeInfo metadata must be an object")
	}
	return &ni, nil
}
