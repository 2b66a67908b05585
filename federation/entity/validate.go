package entity

import (
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aspenpod/aspen/federation"
)

// MaxDiasporaIDLength is the longest valid diaspora ID.
const MaxDiasporaIDLength = 255

// ValidGUID reports whether s is a GUID as the reference accepts it
// (^[0-9A-Za-z\-_@.:]{15,254}[0-9A-Za-z]$): 16 to 255 characters of
// [0-9A-Za-z-_@.:], the last one alphanumeric.
func ValidGUID(s string) bool {
	if len(s) < 16 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum && (i == len(s)-1 || (c != '-' && c != '_' && c != '@' && c != '.' && c != ':')) {
			return false
		}
	}
	return true
}

// ValidDiasporaID reports whether s is a diaspora ID as the reference
// accepts it: at most 255 characters, username@host[:port] with a username
// of lowercase letters (Unicode-aware, as the reference), digits, "-", "."
// and "_", and a host of lowercase letters, digits, "-" and "." (hostname or
// IPv4) or a bracketed IPv6 address. Uppercase anywhere is invalid.
func ValidDiasporaID(s string) bool {
	if len(s) > MaxDiasporaIDLength || utf8.RuneCountInString(s) > MaxDiasporaIDLength {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	user, host := s[:at], s[at+1:]
	for _, r := range user {
		if !(unicode.IsLower(r) || (r >= '0' && r <= '9') || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 2 {
			return false
		}
		for _, c := range host[1:end] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.') {
				return false
			}
		}
		host = host[end+1:]
		if host == "" {
			return true
		}
		return validPort(host)
	}
	name, port := host, ""
	if i := strings.IndexByte(host, ':'); i >= 0 {
		name, port = host[:i], host[i:]
	}
	if name == "" {
		return false
	}
	alnum := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			alnum = true
		case c == '-' || c == '.':
		default:
			return false
		}
	}
	if !alnum {
		return false
	}
	return port == "" || validPort(port)
}

func validPort(p string) bool { return len(p) >= 2 && p[0] == ':' && isDigits(p[1:]) }

func verr(path, format string, args ...any) error {
	return federation.Errorf(federation.ErrValidation, path+": "+format, args...)
}

// validateFields checks the generic rules expressed in the struct tags, then
// the entity-specific rules, recursing into nested entities.
func validateFields(s *spec, v reflect.Value, path string) error {
	for i := range s.fields {
		f := &s.fields[i]
		fv := v.Field(f.index)
		p := path + "." + f.name
		switch f.kind {
		case kString:
			str := fv.String()
			if f.nonempty && str == "" && (f.req || !f.opt) {
				return verr(p, "must not be empty")
			}
			if str == "" {
				if (f.guid || f.id) && f.req {
					return verr(p, "missing")
				}
				continue
			}
			if f.guid && !ValidGUID(str) {
				return verr(p, "%q is not a valid GUID", str)
			}
			if f.id && !ValidDiasporaID(str) {
				return verr(p, "%q is not a valid diaspora ID", str)
			}
			if f.max > 0 && utf8.RuneCountInString(str) > f.max {
				return verr(p, "longer than %d characters", f.max)
			}
			if f.nosemi && strings.Contains(str, ";") {
				return verr(p, "must not contain ';'")
			}
			if f.url != "" && !validURL(str, f.url) {
				return verr(p, "%q is not a valid URL (%s required)", str, f.url)
			}
		case kTime:
			if f.req && fv.Interface().(time.Time).IsZero() {
				return verr(p, "missing")
			}
		case kInt:
			if fv.Int() < 0 {
				return verr(p, "must not be negative")
			}
		case kNested:
			if fv.IsNil() {
				if f.req {
					return verr(p, "missing")
				}
				continue
			}
			if err := validateEntity(fv.Interface().(Entity), p); err != nil {
				return err
			}
		case kNestedList:
			for j := 0; j < fv.Len(); j++ {
				if fv.Index(j).IsNil() {
					return verr(p, "nil element")
				}
				if err := validateEntity(fv.Index(j).Interface().(Entity), p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func validURL(s, need string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch need {
	case "path":
		return u.Path != "" || u.Opaque != ""
	case "host":
		return u.Host != ""
	case "hostpath":
		return u.Host != "" && u.Path != ""
	}
	return true
}

type checker interface{ check(path string) error }

// xmlNameRE is what this package accepts as an element name of an unknown
// relayable property.
var xmlNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`)

func validateEntity(e Entity, path string) error {
	s, v := specOf(e)
	if s == nil {
		return federation.Errorf(federation.ErrUnknownEntity, "unregistered entity type %T", e)
	}
	if err := validateFields(s, v, path); err != nil {
		return err
	}
	if s.relayable {
		rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
		for _, name := range rf.Order {
			if !xmlNameRE.MatchString(name) {
				return verr(path, "property order names %q, not an element name", name)
			}
			if f := s.byName[name]; f != nil && (f.kind == kNested || f.kind == kNestedList) {
				return verr(path, "property order names nested %q", name)
			}
		}
		if rf.Order != nil {
			for i := range s.fields {
				if f := &s.fields[i]; f.req && !slices.Contains(rf.Order, f.name) {
					return verr(path, "property order lacks required %s", f.name)
				}
			}
		}
		for name := range rf.Extra {
			if !xmlNameRE.MatchString(name) || strings.Contains(name, "signature") {
				return verr(path, "additional property %q is not an element name", name)
			}
		}
	}
	if c, ok := e.(checker); ok {
		return c.check(path)
	}
	return nil
}

func validate(e Entity) error {
	if e == nil || reflect.ValueOf(e).IsNil() {
		return federation.Errorf(federation.ErrValidation, "nil entity")
	}
	return validateEntity(e, e.EntityName())
}

// Validate implements Entity.
func (e *StatusMessage) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Photo) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Location) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Poll) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *PollAnswer) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Event) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Embed) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Reshare) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Comment) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Like) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *PollParticipation) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *EventParticipation) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Participation) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Contact) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Profile) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Retraction) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Conversation) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *Message) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *AccountDeletion) Validate() error { return validate(e) }

// Validate implements Entity.
func (e *AccountMigration) Validate() error { return validate(e) }

func (e *StatusMessage) check(path string) error {
	for i, p := range e.Photos {
		if p.Author != e.Author {
			return verr(path, "photo[%d] author %q differs from the post author %q", i, p.Author, e.Author)
		}
	}
	return nil
}

func (e *Poll) check(path string) error {
	if len(e.Answers) < 2 {
		return verr(path+".poll_answer", "a poll needs at least 2 answers, has %d", len(e.Answers))
	}
	return nil
}

var timezoneRE = regexp.MustCompile(`^[A-Za-z_-]{0,14}(/[A-Za-z_-]{0,14}){1,2}$`)

func (e *Event) check(path string) error {
	if e.Timezone != "" && !timezoneRE.MatchString(e.Timezone) {
		return verr(path+".timezone", "%q is not an IANA Area/Location name", e.Timezone)
	}
	return nil
}

func (e *Embed) check(path string) error {
	if (e.URL != "") == e.Nothing {
		return verr(path, "exactly one of url and nothing=true must be set")
	}
	return nil
}

func (e *Reshare) check(path string) error {
	if (e.RootAuthor == "") != (e.RootGUID == "") {
		return verr(path, "root_author and root_guid must be both present or both absent")
	}
	return nil
}

func (e *Like) check(path string) error {
	if e.ParentType != "Post" && e.ParentType != "Comment" {
		return verr(path+".parent_type", "%q is not Post or Comment", e.ParentType)
	}
	return nil
}

func (e *EventParticipation) check(path string) error {
	switch e.Status {
	case "accepted", "declined", "tentative":
		return nil
	}
	return verr(path+".status", "%q is not accepted, declined or tentative", e.Status)
}

func (e *Participation) check(path string) error {
	if e.ParentType != "Post" {
		return verr(path+".parent_type", "%q is not Post", e.ParentType)
	}
	return nil
}

func (e *Contact) check(path string) error {
	if e.Blocking && (e.Following || e.Sharing) {
		return verr(path, "blocking together with following or sharing")
	}
	return nil
}

func (e *Profile) check(path string) error {
	if e.Birthday != "" {
		if _, err := time.Parse("2006-01-02", e.Birthday); err != nil {
			return verr(path+".birthday", "%q is not a YYYY-MM-DD calendar date", e.Birthday)
		}
	}
	if strings.Count(e.TagString, "#") > 5 {
		return verr(path+".tag_string", "more than 5 tags")
	}
	return nil
}

// ParticipantList returns the diaspora IDs in the participants property.
func (e *Conversation) ParticipantList() []string { return strings.Split(e.Participants, ";") }

func (e *Conversation) check(path string) error {
	ids := e.ParticipantList()
	if len(ids) < 2 {
		return verr(path+".participants", "needs at least 2 participants")
	}
	for _, id := range ids {
		if !ValidDiasporaID(id) {
			return verr(path+".participants", "%q is not a valid diaspora ID", id)
		}
	}
	for i, m := range e.Messages {
		if m.Author != e.Author {
			return verr(path, "message[%d] author %q differs from the conversation author %q", i, m.Author, e.Author)
		}
	}
	return nil
}

func (e *AccountMigration) check(path string) error {
	if e.Profile == nil {
		return verr(path+".profile", "missing")
	}
	if e.Author == e.Profile.Author && e.OldIdentity == "" {
		return verr(path+".old_identity", "required when the author is the new identity")
	}
	return nil
}
