// Package cli is the operator tool for debugging federation, run as
// `pod federation <verb>`. Main prints JSON on stdout and returns the exit
// status: 0 valid, 1 rejected (the JSON says why), 2 misuse.
//
//	keygen   [--bits N] [--pub-out FILE]
//	seal     --key PRIV --author ID [--recipient-pubkey PUB]   < entity.xml
//	verify   --envelope FILE|- --pubkey ID=PUB...
//	open     --envelope FILE|- --key RECIPIENT_PRIV --pubkey ID=PUB...
//	discover ID [--http]
//	fetch    ID TYPE GUID [--http]
package cli

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/federation/transport"
)

// Exit statuses of Main.
const (
	ExitValid    = 0
	ExitRejected = 1
	ExitMisuse   = 2
)

const usage = `usage: pod federation <verb> [flags]

verbs:
  keygen   [--bits N] [--pub-out FILE]                       print a new PKCS#1 private key PEM
  seal     --key PRIV --author ID [--recipient-pubkey PUB]   sign the entity XML on stdin into a
                                                             magic envelope (private JSON envelope
                                                             when a recipient key is given)
  verify   --envelope FILE|- --pubkey ID=PUB...              check a public magic envelope
  open     --envelope FILE|- --key PRIV --pubkey ID=PUB...   check a private envelope
  discover ID [--http]                                       WebFinger + hCard lookup
  fetch    ID TYPE GUID [--http]                             fetch and check /fetch/TYPE/GUID from
                                                             ID's pod

--http allows plain http and loopback/private addresses (development only).
Exit status: 0 valid, 1 rejected, 2 misuse.
`

// Main runs the tool with args (what follows "pod federation") and returns
// the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitMisuse
	}
	r := &runner{stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "keygen":
		return r.keygen(args[1:])
	case "seal":
		return r.seal(args[1:])
	case "verify":
		return r.verify(args[1:], false)
	case "open":
		return r.verify(args[1:], true)
	case "discover":
		return r.discover(args[1:])
	case "fetch":
		return r.fetch(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitValid
	}
	fmt.Fprintf(stderr, "unknown verb %q\n\n%s", args[0], usage)
	return ExitMisuse
}

type runner struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// misuse is an error caused by the operator (bad flags, unreadable files).
type misuse struct{ msg string }

// Error implements error.
func (m *misuse) Error() string { return m.msg }

func misusef(format string, args ...any) error { return &misuse{fmt.Sprintf(format, args...)} }

func (r *runner) fail(err error) int {
	fmt.Fprintln(r.stderr, "error:", err)
	var m *misuse
	if errors.As(err, &m) {
		return ExitMisuse
	}
	return ExitRejected
}

type pubkeys map[string]string

// String implements flag.Value.
func (p pubkeys) String() string { return fmt.Sprint(map[string]string(p)) }

// Set implements flag.Value: it adds one ID=PUBKEY_FILE pair.
func (p pubkeys) Set(v string) error {
	id, file, ok := strings.Cut(v, "=")
	if !ok || id == "" || file == "" {
		return errors.New("want ID=PUBKEY_FILE")
	}
	p[strings.ToLower(id)] = file
	return nil
}

// parse parses flags that may appear before, between or after positional
// arguments, and returns the positional arguments.
func (r *runner) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(r.stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, misusef("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func readFile(name string, stdin io.Reader, limit int64) ([]byte, error) {
	var rd io.Reader
	if name == "-" {
		rd = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, misusef("%v", err)
		}
		defer f.Close()
		rd = f
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, misusef("read %s: %v", name, err)
	}
	if int64(len(b)) > limit {
		return nil, federation.Errorf(federation.ErrTooLarge, "%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

func loadPrivate(file string) (*rsa.PrivateKey, error) {
	b, err := readFile(file, nil, federation.MaxKeyPEMSize)
	if err != nil {
		return nil, err
	}
	k, err := federation.ParsePrivateKey(b)
	if err != nil {
		return nil, misusef("%s: %v", file, err)
	}
	return k, nil
}

func loadPublic(file string) (*rsa.PublicKey, error) {
	b, err := readFile(file, nil, federation.MaxKeyPEMSize)
	if err != nil {
		return nil, err
	}
	k, err := federation.ParsePublicKey(b)
	if err != nil {
		return nil, misusef("%s: %v", file, err)
	}
	return k, nil
}

func (r *runner) writeJSON(v any) {
	enc := json.NewEncoder(r.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (r *runner) keygen(args []string) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	bits := fs.Int("bits", federation.DefaultKeyBits, "key size in bits")
	pubOut := fs.String("pub-out", "", "also write the SPKI public key PEM to this file")
	pos, err := r.parse(fs, args)
	if err != nil {
		return r.fail(err)
	}
	if len(pos) > 0 {
		return r.fail(misusef("keygen takes no arguments"))
	}
	if *bits < 1024 || *bits > federation.MaxRSABits {
		return r.fail(misusef("--bits must be between 1024 and %d", federation.MaxRSABits))
	}
	key, err := federation.GenerateKey(*bits)
	if err != nil {
		return r.fail(err)
	}
	if *pubOut != "" {
		pub, _ := federation.MarshalPublicKey(&key.PublicKey)
		if err := os.WriteFile(*pubOut, pub, 0o644); err != nil {
			return r.fail(misusef("%v", err))
		}
	}
	r.stdout.Write(federation.MarshalPrivateKey(key))
	return ExitValid
}

func (r *runner) seal(args []string) int {
	fs := flag.NewFlagSet("seal", flag.ContinueOnError)
	keyFile := fs.String("key", "", "sender's private key PEM")
	author := fs.String("author", "", "sender's diaspora ID")
	recipient := fs.String("recipient-pubkey", "", "recipient's public key PEM (private envelope)")
	pos, err := r.parse(fs, args)
	if err != nil {
		return r.fail(err)
	}
	if len(pos) > 0 || *keyFile == "" || *author == "" {
		return r.fail(misusef("seal needs --key and --author, and the entity XML on stdin"))
	}
	if !entity.ValidDiasporaID(*author) {
		return r.fail(misusef("--author %q is not a diaspora ID", *author))
	}
	key, err := loadPrivate(*keyFile)
	if err != nil {
		return r.fail(err)
	}
	var rcpt *rsa.PublicKey
	if *recipient != "" {
		if rcpt, err = loadPublic(*recipient); err != nil {
			return r.fail(err)
		}
	}
	xml, err := readFile("-", r.stdin, entity.MaxEntitySize)
	if err != nil {
		return r.fail(err)
	}
	e, err := entity.ParseXML(xml)
	if err != nil {
		return r.fail(err)
	}
	// A new relayable by the sender gets its author_signature.
	if rl, ok := entity.AsRelayable(e); ok && entity.Relay(rl).AuthorSignature == "" && entity.AuthorOf(e) == *author {
		if err := entity.SignRelayable(rl, key); err != nil {
			return r.fail(err)
		}
	}
	doc, err := envelope.SignEntity(e, *author, key)
	if err != nil {
		return r.fail(err)
	}
	if rcpt != nil {
		if doc, err = envelope.Seal(doc, rcpt); err != nil {
			return r.fail(err)
		}
		doc = append(doc, '\n')
	}
	r.stdout.Write(doc)
	return ExitValid
}

// Report is the JSON printed by verify, open and fetch.
type Report struct {
	Valid      bool           `json:"valid"`
	Sender     string         `json:"sender"`
	EntityType string         `json:"entity_type"`
	Entity     map[string]any `json:"entity"`
	Error      *string        `json:"error"`
	Warnings   []string       `json:"warnings,omitempty"`
}

func (r *runner) report(rep *Report, err error) int {
	if err != nil {
		msg := err.Error()
		rep.Valid, rep.Error = false, &msg
		r.writeJSON(rep)
		var m *misuse
		if errors.As(err, &m) {
			return ExitMisuse
		}
		return ExitRejected
	}
	rep.Valid = true
	r.writeJSON(rep)
	return ExitValid
}

func (r *runner) verify(args []string, private bool) int {
	name := "verify"
	if private {
		name = "open"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	envFile := fs.String("envelope", "", "envelope file, or - for stdin")
	keyFile := fs.String("key", "", "recipient's private key PEM (open)")
	keys := pubkeys{}
	fs.Var(keys, "pubkey", "ID=PUBKEY_FILE, repeatable: public keys of sender, author and signers")
	pos, err := r.parse(fs, args)
	if err != nil {
		return r.fail(err)
	}
	if len(pos) > 0 || *envFile == "" || (private && *keyFile == "") || (!private && *keyFile != "") {
		if private {
			return r.fail(misusef("open needs --envelope FILE|- --key RECIPIENT_PRIV and --pubkey ID=PUB"))
		}
		return r.fail(misusef("verify needs --envelope FILE|- and --pubkey ID=PUB"))
	}
	store := map[string]*rsa.PublicKey{}
	for id, file := range keys {
		k, err := loadPublic(file)
		if err != nil {
			return r.fail(err)
		}
		store[id] = k
	}
	limit := int64(envelope.MaxEnvelopeSize)
	if private {
		limit = envelope.MaxPrivateSize
	}
	body, err := readFile(*envFile, r.stdin, limit)
	if err != nil {
		var m *misuse
		if errors.As(err, &m) {
			return r.fail(err)
		}
		return r.report(&Report{}, err)
	}
	rep := &Report{}
	var env *envelope.Envelope
	if private {
		key, err := loadPrivate(*keyFile)
		if err != nil {
			return r.fail(err)
		}
		env, err = envelope.OpenAndParse(body, key)
		if err != nil {
			return r.report(rep, err)
		}
	} else if env, err = envelope.Parse(body); err != nil {
		return r.report(rep, err)
	}
	return r.report(rep, checkEnvelope(env, store, !private, rep))
}

// checkEnvelope verifies an envelope and its entity with the given keys. The
// rules that need the receiving pod's database (relayable root author,
// retraction target) cannot be checked here and are reported as warnings.
func checkEnvelope(env *envelope.Envelope, store map[string]*rsa.PublicKey, public bool, rep *Report) error {
	rep.Sender = env.Sender
	keyOf := func(id, role string) (*rsa.PublicKey, error) {
		if k := store[id]; k != nil {
			return k, nil
		}
		return nil, federation.Errorf(federation.ErrKeyNotFound, "no --pubkey for %s %s", role, id)
	}
	pub, err := keyOf(env.Sender, "sender")
	if err != nil {
		return err
	}
	if err := env.Verify(pub); err != nil {
		return err
	}
	e, err := entity.ParseXML(env.Payload)
	if err != nil {
		return err
	}
	rep.EntityType, rep.Entity = e.EntityName(), entity.Data(e)
	if public {
		if err := receive.CheckPublic(e); err != nil {
			return err
		}
	}
	author := entity.AuthorOf(e)
	switch x := e.(type) {
	case entity.Relayable:
		if author != env.Sender {
			rep.Warnings = append(rep.Warnings, "sender is not the author: it must be the root author (not checked here)")
			k, err := keyOf(author, "author")
			if err != nil {
				return err
			}
			return entity.VerifyAuthorSignature(x, k)
		}
		if entity.Relay(x).AuthorSignature != "" {
			if k, err := keyOf(author, "author"); err == nil {
				return entity.VerifyAuthorSignature(x, k)
			}
		}
		rep.Warnings = append(rep.Warnings, "sent by its author: valid only if the root post is local to the receiver or the author is the root author")
		return nil
	case *entity.Retraction:
		if author != env.Sender {
			rep.Warnings = append(rep.Warnings, "sender is not the target's author: valid only if it is the target's root author (not checked here)")
		}
		return nil
	case *entity.AccountMigration:
		if author != env.Sender {
			return federation.Errorf(federation.ErrInvalidSender, "invalid sender: %s is not the author %s", env.Sender, author)
		}
		k, err := keyOf(x.Signer(), "migration signer")
		if err != nil {
			return err
		}
		return entity.VerifyMigration(x, k)
	}
	if author == "" {
		return federation.Errorf(federation.ErrInvalidSender, "%s cannot be received on its own", e.EntityName())
	}
	if author != env.Sender {
		return federation.Errorf(federation.ErrInvalidSender, "invalid sender: %s is not the author %s", env.Sender, author)
	}
	return nil
}

func (r *runner) client(allowHTTP bool) *discovery.Client {
	return discovery.NewClient(transport.New(transport.Options{AllowHTTP: allowHTTP, AllowPrivate: allowHTTP, Timeout: 30 * time.Second}))
}

// Person is the JSON printed by discover.
type Person struct {
	ID             string `json:"id"`
	GUID           string `json:"guid"`
	PodURL         string `json:"pod_url"`
	HCardURL       string `json:"hcard_url"`
	ProfileURL     string `json:"profile_url,omitempty"`
	FullName       string `json:"full_name"`
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
	Nickname       string `json:"nickname,omitempty"`
	Searchable     bool   `json:"searchable"`
	ImageURL       string `json:"image_url,omitempty"`
	ImageURLMedium string `json:"image_url_medium,omitempty"`
	ImageURLSmall  string `json:"image_url_small,omitempty"`
	PublicKey      string `json:"public_key"`
	KeyBits        int    `json:"key_bits"`
}

func (r *runner) discover(args []string) int {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	allowHTTP := fs.Bool("http", false, "allow plain http and loopback/private addresses")
	pos, err := r.parse(fs, args)
	if err != nil {
		return r.fail(err)
	}
	if len(pos) != 1 || !entity.ValidDiasporaID(strings.ToLower(pos[0])) {
		return r.fail(misusef("discover needs one diaspora ID (user@host)"))
	}
	p, err := r.client(*allowHTTP).Discover(context.Background(), pos[0])
	if err != nil {
		msg := err.Error()
		r.writeJSON(map[string]any{"valid": false, "error": msg})
		return ExitRejected
	}
	pem, _ := federation.MarshalPublicKey(p.PublicKey)
	r.writeJSON(map[string]any{"valid": true, "person": Person{
		ID: p.ID, GUID: p.GUID, PodURL: p.PodURL, HCardURL: p.HCardURL, ProfileURL: p.ProfileURL,
		FullName: p.FullName, FirstName: p.FirstName, LastName: p.LastName, Nickname: p.Nickname,
		Searchable: p.Searchable, ImageURL: p.ImageURL, ImageURLMedium: p.ImageURLMedium, ImageURLSmall: p.ImageURLSmall,
		PublicKey: string(pem), KeyBits: p.PublicKey.N.BitLen(),
	}})
	return ExitValid
}

func (r *runner) fetch(args []string) int {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	allowHTTP := fs.Bool("http", false, "allow plain http and loopback/private addresses")
	pos, err := r.parse(fs, args)
	if err != nil {
		return r.fail(err)
	}
	if len(pos) != 3 || !entity.ValidDiasporaID(strings.ToLower(pos[0])) || !entity.ValidGUID(pos[2]) {
		return r.fail(misusef("fetch needs ID TYPE GUID"))
	}
	ctx := context.Background()
	c := r.client(*allowHTTP)
	rep := &Report{}
	body, err := c.FetchFrom(ctx, pos[0], pos[1], pos[2])
	if err != nil {
		return r.report(rep, err)
	}
	env, err := envelope.Parse(body)
	if err != nil {
		return r.report(rep, err)
	}
	// The fetched envelope is signed by the entity author: discover them.
	p, err := c.Discover(ctx, env.Sender)
	if err != nil {
		rep.Sender = env.Sender
		return r.report(rep, err)
	}
	return r.report(rep, checkEnvelope(env, map[string]*rsa.PublicKey{env.Sender: p.PublicKey}, true, rep))
}
