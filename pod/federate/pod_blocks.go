package federate

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Blocking and silencing other pods. A blocked pod gets nothing from this
// pod and nothing it sends is applied (its deliveries are answered 202 as
// any other, and the receive job drops them with a log line); its people
// leave search and streams, and contacts with them are kept, frozen, so
// that lifting the block restores everything. A silenced pod's public
// posts leave the public stream; everything else works.
//
// The receive and delivery jobs ask about every message, so the decisions
// (a short list) are kept in the process and read again from the database
// at most every BlockCacheTTL; the process that changes them reads them
// again at once, and other processes follow within BlockCacheTTL.

// BlockCacheTTL is how long a process uses the list of pod decisions
// before reading it again.
const BlockCacheTTL = 5 * time.Second

type blockList struct {
	mu     sync.RWMutex
	loaded time.Time
	rules  []models.ModeratedPod
}

// podState says what the admins decided about a host[:port]:
// models.PodStateNone, PodStateSilenced or PodStateBlocked. If the list
// cannot be read, the last one read is used (and the error logged).
func (a *Service) podState(ctx context.Context, host string) int {
	a.blocks.mu.RLock()
	fresh := time.Since(a.blocks.loaded) < BlockCacheTTL
	rules := a.blocks.rules
	a.blocks.mu.RUnlock()
	if !fresh {
		rules = a.reloadBlocks(ctx)
	}
	return stateOf(rules, host)
}

func (a *Service) reloadBlocks(ctx context.Context) []models.ModeratedPod {
	rules, err := a.store.ModeratedPods(ctx)
	a.blocks.mu.Lock()
	defer a.blocks.mu.Unlock()
	if err != nil {
		a.log.Warn("federation: cannot read the blocked pods, using the last list read", "err", err)
		return a.blocks.rules
	}
	a.blocks.rules, a.blocks.loaded = rules, time.Now()
	return rules
}

// stateOf applies the rules to a host (a block wins over a silence).
func stateOf(rules []models.ModeratedPod, host string) int {
	if len(rules) == 0 {
		return models.PodStateNone
	}
	full := strings.ToLower(host)
	name := full
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "]") {
		name = name[:i]
	}
	state := models.PodStateNone
	for _, r := range rules {
		d := strings.ToLower(r.Domain)
		h := name
		if strings.Contains(d, ":") { // a host:port rule
			h = full
		}
		if h == d || r.Subdomains && strings.HasSuffix(h, "."+d) {
			if r.Severity == models.SeverityBlock {
				return models.PodStateBlocked
			}
			state = models.PodStateSilenced
		}
	}
	return state
}

// PodBlocked reports whether the pod of a host[:port] is blocked.
func (a *Service) PodBlocked(ctx context.Context, host string) bool {
	return a.podState(ctx, host) == models.PodStateBlocked
}

// idBlocked reports whether a diaspora ID belongs to a blocked pod.
func (a *Service) idBlocked(ctx context.Context, diasporaID string) bool {
	_, host, ok := strings.Cut(diasporaID, "@")
	return ok && a.PodBlocked(ctx, host)
}

// urlBlocked reports whether a URL's host is on a blocked pod.
func (a *Service) urlBlocked(ctx context.Context, raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && a.PodBlocked(ctx, u.Host)
}

// errPodBlocked: a pod the admins blocked.
var errPodBlocked = errors.New("its pod is blocked by this pod's admins")

// ModeratedPodView is a blocked or silenced domain on the admins' page.
type ModeratedPodView struct {
	Domain     string    `json:"domain"`
	Subdomains bool      `json:"subdomains"`
	Severity   string    `json:"severity"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ModeratedPods lists the blocked and silenced domains. Admins only.
func (a *Service) ModeratedPods(ctx context.Context, s *pod.Session) ([]ModeratedPodView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	rows, err := a.store.ModeratedPods(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ModeratedPodView, len(rows))
	for i, r := range rows {
		out[i] = ModeratedPodView{Domain: r.Domain, Subdomains: r.Subdomains, Severity: r.Severity, Reason: r.Reason,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// BlockInput blocks or silences a domain.
type BlockInput struct {
	Domain     string
	Subdomains bool
	// Severity is models.SeverityBlock or models.SeveritySilence.
	Severity string
	Reason   string
}

// ReasonMaxLen bounds the reason an admin gives for a block.
const ReasonMaxLen = 1000

// NormalizeDomain checks a domain an admin typed (a URL is taken for its
// host) and returns it in lower case. A port may follow (host:port): the
// rule then holds for that port only, for pods that share a host name.
func NormalizeDomain(raw string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(raw))
	if strings.Contains(d, "://") {
		if u, err := url.Parse(d); err == nil {
			d = u.Host
		}
	}
	d = strings.TrimPrefix(d, "*.")
	port := ""
	if host, p, ok := strings.Cut(d, ":"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", errors.New("has a port that is not a number from 1 to 65535")
		}
		d, port = host, ":"+strconv.Itoa(n)
	}
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return "", errors.New("is not a domain (such as pod.example.org)")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", errors.New("is not a domain (such as pod.example.org)")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", errors.New("is not a domain (letters, digits, '-' and dots; write other scripts as xn--)")
			}
		}
	}
	return d + port, nil
}

func (a *Service) checkBlock(in *BlockInput) error {
	inv := pod.Invalid()
	d, err := NormalizeDomain(in.Domain)
	if err != nil {
		inv.Add("domain", err.Error())
	} else if a.core.OwnHost(d) || stateOf([]models.ModeratedPod{{Domain: d, Subdomains: in.Subdomains, Severity: models.SeverityBlock}}, a.opt.Host) != 0 {
		inv.Add("domain", "is this pod's own domain")
	}
	in.Domain = d
	in.Severity = strings.ToLower(strings.TrimSpace(in.Severity))
	if in.Severity == "" {
		in.Severity = models.SeverityBlock
	}
	if in.Severity != models.SeverityBlock && in.Severity != models.SeveritySilence {
		inv.Add("severity", "must be block or silence")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if len([]rune(in.Reason)) > ReasonMaxLen {
		inv.Add("reason", fmt.Sprintf("is too long (at most %d characters)", ReasonMaxLen))
	}
	return inv.OrNil()
}

// BlockPod blocks or silences a domain (replacing an earlier decision about
// it). Admins only.
func (a *Service) BlockPod(ctx context.Context, s *pod.Session, in BlockInput) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	uid := s.UserID
	return a.blockPod(ctx, in, &uid, s.Username)
}

// OperatorBlockPod blocks or silences a domain from the command line (`pod
// admin block-pod`).
func (a *Service) OperatorBlockPod(ctx context.Context, in BlockInput) error {
	return a.blockPod(ctx, in, nil, "operator")
}

func (a *Service) blockPod(ctx context.Context, in BlockInput, by *int64, byName string) error {
	if err := a.checkBlock(&in); err != nil {
		return err
	}
	err := a.store.Tx(ctx, func(tx *models.Store) error {
		return tx.SaveModeratedPod(ctx, &models.ModeratedPod{Domain: in.Domain, Subdomains: in.Subdomains, Severity: in.Severity,
			Reason: in.Reason, CreatedByID: by})
	})
	if err != nil {
		return err
	}
	a.reloadBlocks(ctx)
	a.log.Info("federation: pod decision saved", "domain", in.Domain, "severity", in.Severity, "subdomains", in.Subdomains, "by", byName, "reason", in.Reason)
	return nil
}

// UnblockPod lifts the decision about a domain: its people, their posts in
// streams and the contacts with them come back, and deliveries resume.
// Admins only.
func (a *Service) UnblockPod(ctx context.Context, s *pod.Session, domain string) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	return a.OperatorUnblockPod(ctx, domain)
}

// OperatorUnblockPod lifts the decision about a domain (`pod admin
// unblock-pod`, and the admins' page).
func (a *Service) OperatorUnblockPod(ctx context.Context, domain string) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return pod.ErrNotFound
	}
	if err := a.store.Tx(ctx, func(tx *models.Store) error { return tx.DeleteModeratedPod(ctx, d) }); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	a.reloadBlocks(ctx)
	a.log.Info("federation: pod decision lifted", "domain", d)
	return nil
}

// csvHeader is the first line of an exported block list.
var csvHeader = []string{"domain", "severity", "subdomains", "reason"}

// ExportBlocks writes the blocked and silenced domains as CSV: domain,
// severity, subdomains, reason. Admins only.
func (a *Service) ExportBlocks(ctx context.Context, s *pod.Session) ([]byte, error) {
	rows, err := a.ModeratedPods(ctx, s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(csvHeader)
	for _, r := range rows {
		w.Write([]string{r.Domain, r.Severity, strconv.FormatBool(r.Subdomains), r.Reason})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// ImportLimit bounds the domains of one import.
const ImportLimit = 10000

// ImportBlocks reads a CSV of domains (one per line; optional columns
// severity, subdomains, reason; a header line, as ExportBlocks writes or
// Mastodon's "#domain,#severity,..." export, is skipped) and blocks or
// silences each, all or nothing. Lines whose severity is neither block
// nor silence ("suspend" counts as block, "noop" is skipped). Admins only.
func (a *Service) ImportBlocks(ctx context.Context, s *pod.Session, data []byte) (int, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return 0, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var blocks []BlockInput
	inv := pod.Invalid()
	mastodon := false // Mastodon's export: #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, &pod.InvalidError{Fields: map[string]string{"file": "is not CSV: " + err.Error()}}
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if first := strings.ToLower(strings.TrimSpace(rec[0])); line == 1 && (first == "domain" || first == "#domain") {
			mastodon = first == "#domain"
			continue
		}
		in := BlockInput{Domain: rec[0], Subdomains: true, Severity: models.SeverityBlock}
		if len(rec) > 1 {
			switch sev := strings.ToLower(strings.TrimSpace(rec[1])); sev {
			case "", "block", "suspend":
			case "silence", "limit":
				in.Severity = models.SeveritySilence
			case "noop":
				continue
			default:
				inv.Add("file", fmt.Sprintf("line %d: severity %q must be block or silence", line, sev))
				continue
			}
		}
		switch {
		case mastodon && len(rec) > 4:
			in.Reason = rec[4]
		case !mastodon && len(rec) > 2 && strings.TrimSpace(rec[2]) != "":
			b, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
			if err != nil {
				inv.Add("file", fmt.Sprintf("line %d: subdomains %q must be true or false", line, rec[2]))
				continue
			}
			in.Subdomains = b
		}
		if !mastodon && len(rec) > 3 {
			in.Reason = rec[3]
		}
		if err := a.checkBlock(&in); err != nil {
			inv.Add("file", fmt.Sprintf("line %d: %s", line, err.Error()))
			continue
		}
		blocks = append(blocks, in)
		if len(blocks) > ImportLimit {
			return 0, &pod.InvalidError{Fields: map[string]string{"file": fmt.Sprintf("has more than %d domains", ImportLimit)}}
		}
	}
	if err := inv.OrNil(); err != nil {
		return 0, err
	}
	if len(blocks) == 0 {
		return 0, &pod.InvalidError{Fields: map[string]string{"file": "names no domain"}}
	}
	uid := s.UserID
	err := a.store.Tx(ctx, func(tx *models.Store) error {
		for _, b := range blocks {
			if err := tx.SaveModeratedPod(ctx, &models.ModeratedPod{Domain: b.Domain, Subdomains: b.Subdomains, Severity: b.Severity,
				Reason: b.Reason, CreatedByID: &uid}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	a.reloadBlocks(ctx)
	a.log.Info("federation: pod blocks imported", "domains", len(blocks), "by", s.Username)
	return len(blocks), nil
}

// RecheckPod asks a known pod's NodeInfo now, as the hourly check does,
// and records the outcome. Admins only.
func (a *Service) RecheckPod(ctx context.Context, s *pod.Session, host string) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	p, err := a.store.PodByHost(ctx, host)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	now := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	ni, err := a.discovery.NodeInfo(cctx, p.URL)
	cancel()
	if err != nil {
		if err := a.store.PodFailed(ctx, p.ID, now, "check: "+err.Error()); err != nil {
			return err
		}
		return a.store.SetPodSoftware(ctx, p.ID, p.Software, p.Version, now)
	}
	if err := a.store.PodSucceeded(ctx, p.ID, now); err != nil {
		return err
	}
	return a.store.SetPodSoftware(ctx, p.ID, ni.Software.Name, ni.Software.Version, now)
}

// decisionAbout returns the admins' decision about a host and its reason
// (the rule that decides: a block before a silence).
func (a *Service) decisionAbout(ctx context.Context, host string) (severity, reason string) {
	a.podState(ctx, host) // refreshes the list when due
	a.blocks.mu.RLock()
	defer a.blocks.mu.RUnlock()
	for _, r := range a.blocks.rules {
		switch stateOf([]models.ModeratedPod{r}, host) {
		case models.PodStateBlocked:
			return r.Severity, r.Reason
		case models.PodStateSilenced:
			severity, reason = r.Severity, r.Reason
		}
	}
	return severity, reason
}
