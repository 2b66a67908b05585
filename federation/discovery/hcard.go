package discovery

import (
	"bytes"
	"crypto/rsa"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
)

// HCardContentType is the content type to serve an hCard with.
const HCardContentType = "text/html; charset=utf-8"

// HCard returns the hCard page of an account in the exact layout the
// reference generates (§1.2, vector 22_hcard.html).
func HCard(a *Account) []byte {
	e := html.EscapeString
	var b bytes.Buffer
	w := b.WriteString
	dl := func(class, title, inner string) {
		w("        <dl class=\"" + class + "\">\n          <dt>" + title + "</dt>\n          <dd>\n            " + inner + "\n          </dd>\n        </dl>\n")
	}
	img := func(size, src string) string {
		return `<img class="photo avatar" width="` + size + `" height="` + size + `" src="` + e(src) + `"/>`
	}
	w(`<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN" "http://www.w3.org/TR/REC-html40/loose.dtd">` + "\n")
	w("<html>\n  <head>\n    <meta charset=\"UTF-8\"/>\n    <title>" + e(a.FullName) + "</title>\n  </head>\n  <body>\n")
	w("    <div id=\"content\">\n      <h1>" + e(a.FullName) + "</h1>\n")
	w("      <div id=\"content_inner\" class=\"entity_profile vcard author\">\n        <h2>User profile</h2>\n")
	dl("entity_uid", "Uid", `<span class="uid">`+e(a.GUID)+`</span>`)
	dl("entity_nickname", "Nickname", `<span class="nickname">`+e(a.Username())+`</span>`)
	dl("entity_full_name", "Full_name", `<span class="fn">`+e(a.FullName)+`</span>`)
	searchable := "false"
	if a.Searchable {
		searchable = "true"
	}
	dl("entity_searchable", "Searchable", `<span class="searchable">`+searchable+`</span>`)
	key := a.PublicKeyPEM
	if key != "" && !strings.HasSuffix(key, "\n") {
		key += "\n"
	}
	dl("entity_key", "Key", `<pre class="key">`+e(key)+`</pre>`)
	dl("entity_first_name", "First_name", `<span class="given_name">`+e(a.FirstName)+`</span>`)
	dl("entity_family_name", "Family_name", `<span class="family_name">`+e(a.LastName)+`</span>`)
	dl("entity_photo", "Photo", img("300", a.ImageURL))
	dl("entity_photo_medium", "Photo_medium", img("100", a.ImageURLMedium))
	dl("entity_photo_small", "Photo_small", img("50", a.ImageURLSmall))
	w("      </div>\n    </div>\n  </body>\n</html>\n")
	return b.Bytes()
}

// HCardInfo is what a receiver takes from an hCard.
type HCardInfo struct {
	GUID           string
	FullName       string
	FirstName      string
	LastName       string
	Nickname       string
	Searchable     bool
	PublicKeyPEM   string
	PublicKey      *rsa.PublicKey
	ImageURL       string
	ImageURLMedium string
	ImageURLSmall  string
}

type capture struct {
	found bool
	done  bool
	depth int
	text  strings.Builder
}

// ParseHCard parses an hCard page with the reference's rules (§1.2): the
// first element anywhere with class uid, fn, given_name, family_name,
// nickname, key or searchable gives that field; the src of the first
// element of class photo inside entity_photo, entity_photo_medium and
// entity_photo_small gives the avatars. fn, the large photo and a valid
// uid and key are required. Errors wrap federation.ErrDiscovery.
func ParseHCard(data []byte) (*HCardInfo, error) {
	if len(data) > MaxDocumentSize {
		return nil, discErr(federation.ErrTooLarge, "hCard is %d bytes, limit %d", len(data), MaxDocumentSize)
	}
	classes := []string{"uid", "fn", "given_name", "family_name", "nickname", "key", "searchable"}
	caps := map[string]*capture{}
	for _, c := range classes {
		caps[c] = &capture{}
	}
	photos := map[string]*string{"entity_photo": new(string), "entity_photo_medium": new(string), "entity_photo_small": new(string)}
	photoFound := map[string]bool{}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	type frame struct{ classes []string }
	var stack []frame
	const maxDepth = 256
	for n := 0; n < 100000; n++ {
		tok, err := d.Token()
		if err != nil {
			break // EOF or HTML the XML tokenizer cannot follow: use what was found
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, discErr(federation.ErrTooLarge, "hCard nested deeper than %d", maxDepth)
			}
			var cls []string
			var src string
			for _, a := range t.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "class":
					cls = strings.Fields(a.Value)
				case "src":
					src = a.Value
				}
			}
			stack = append(stack, frame{classes: cls})
			for _, c := range cls {
				if cp, ok := caps[c]; ok && !cp.found {
					cp.found, cp.depth = true, len(stack)
				}
				if c == "photo" {
					for i := 0; i < len(stack)-1; i++ {
						for _, pc := range stack[i].classes {
							if p, ok := photos[pc]; ok && !photoFound[pc] {
								photoFound[pc] = true
								*p = src
							}
						}
					}
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			for _, cp := range caps {
				if cp.found && !cp.done && cp.depth == len(stack) {
					cp.done = true
				}
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, cp := range caps {
				if cp.found && !cp.done {
					cp.text.Write(t)
				}
			}
		}
	}
	get := func(c string) (string, bool) { return strings.TrimSpace(caps[c].text.String()), caps[c].found }
	info := &HCardInfo{}
	var ok bool
	if info.GUID, ok = get("uid"); !ok || !entity.ValidGUID(info.GUID) {
		return nil, discErr(federation.ErrValidation, "hCard uid %q is not a valid GUID", info.GUID)
	}
	if info.FullName, ok = get("fn"); !ok {
		return nil, discErr(federation.ErrValidation, "hCard incomplete: no fn")
	}
	info.FirstName, _ = get("given_name")
	info.LastName, _ = get("family_name")
	info.Nickname, _ = get("nickname")
	s, _ := get("searchable")
	info.Searchable = s == "true"
	for _, n := range []struct {
		name, v string
		max     int
	}{{"fn", info.FullName, 70}, {"given_name", info.FirstName, 32}, {"family_name", info.LastName, 32}} {
		if utf8.RuneCountInString(n.v) > n.max || strings.Contains(n.v, ";") {
			return nil, discErr(federation.ErrValidation, "hCard %s %q is longer than %d characters or contains ';'", n.name, n.v, n.max)
		}
	}
	info.PublicKeyPEM, _ = get("key")
	k := info.PublicKeyPEM
	if !(strings.HasPrefix(k, "-----BEGIN PUBLIC KEY-----") && strings.HasSuffix(k, "-----END PUBLIC KEY-----") ||
		strings.HasPrefix(k, "-----BEGIN RSA PUBLIC KEY-----") && strings.HasSuffix(k, "-----END RSA PUBLIC KEY-----")) {
		return nil, discErr(federation.ErrValidation, "hCard key is not a PUBLIC KEY or RSA PUBLIC KEY PEM")
	}
	pub, err := federation.ParsePublicKey([]byte(k))
	if err != nil {
		return nil, &federation.Error{Kind: federation.ErrValidation, Msg: "hCard key", Err: joinErr(federation.ErrDiscovery, err)}
	}
	info.PublicKey = pub
	if !photoFound["entity_photo"] {
		return nil, discErr(federation.ErrValidation, "hCard incomplete: no .entity_photo .photo")
	}
	for _, p := range []struct {
		class string
		dst   *string
	}{{"entity_photo", &info.ImageURL}, {"entity_photo_medium", &info.ImageURLMedium}, {"entity_photo_small", &info.ImageURLSmall}} {
		v := *photos[p.class]
		if photoFound[p.class] {
			u, err := url.Parse(v)
			if err != nil || u.Path == "" {
				return nil, discErr(federation.ErrValidation, "hCard %s src %q is not a URL with a path", p.class, v)
			}
		}
		*p.dst = v
	}
	return info, nil
}
