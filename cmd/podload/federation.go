package main

// The federation scenarios of `podload bench`, which make it the one
// command that reports every goal of issue 17 on a seeded pod:
//
//   - receive: public envelopes of status messages from a remote person,
//     POSTed to /receive/public by --clients clients, until the pod has
//     stored every post; CPU per envelope against the bare RSA check.
//   - fanout: limited posts of a seeded user, made through the publisher's
//     form, to an aspect of --fed-recipients remote people on 10 pods,
//     until every delivery arrived and is recorded as sent; CPU per post
//     against the bare RSA work (one signature, a key sealed per
//     recipient).
//
// The remote side lives in this process. Remote people and their pods are
// written into the pod's database as discovery would have left them
// (profiles fresh, so the pod fetches nothing), under host names in
// .podload.test (reserved by RFC 2606: they never resolve). The recipients'
// pods' URLs point at loopback listeners of this run, so the pod must run
// with POD_FEDERATION_INSECURE=true (plain HTTP to a loopback address).
// Recipients are kept across runs (their keys take a while to make), the
// sender of the receive scenario is new each run.

import (
	"context"
	crand "crypto/rand"
	"crypto/rsa"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/procstat"
)

const (
	remoteDomain = "podload.test"
	fanoutPods   = 10
	// fedWait bounds each wait for the pod: every delivery of one post,
	// every envelope of a receive run stored.
	fedWait = 5 * time.Minute
	// receiveAspect holds the receive scenario's sender while it runs.
	receiveAspect = "podload receive"
)

// fedScenario reports whether name is a federation scenario.
func fedScenario(name string) bool { return name == "receive" || name == "fanout" }

// splitScenarios sorts the scenarios asked for into the read scenarios (in
// their order), the write scenario and the federation scenarios.
func splitScenarios(names []string) (reads []string, write bool, fed []string) {
	for _, n := range names {
		switch {
		case n == "write":
			write = true
		case fedScenario(n):
			fed = append(fed, n)
		default:
			reads = append(reads, n)
		}
	}
	return reads, write, fed
}

// bareCPU is the CPU time of one call of fn on a locked thread, the mean
// of rounds.
func bareCPU(rounds int, fn func(i int) error) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := fn(0); err != nil { // warm
		return 0, err
	}
	t := procstat.Thread()
	for i := range rounds {
		if err := fn(i); err != nil {
			return 0, err
		}
	}
	return (procstat.Thread() - t) / time.Duration(rounds), nil
}

// remotePerson is a person of another pod as the bench wrote it.
type remotePerson struct {
	ID   int64
	GUID string
	Key  *rsa.PublicKey
}

// ensurePod records a remote pod at url, healthy: a run before may have
// left it recorded as failing (its listener gone), and the pod does not
// make a first attempt to a pod recorded as failing.
func (b *bencher) ensurePod(ctx context.Context, host, url string) error {
	if _, err := b.st.EnsurePod(ctx, host, url); err != nil {
		return fmt.Errorf("pod %s: %w", host, err)
	}
	_, err := b.db.Exec(ctx, `UPDATE pods SET url = $2, offline_since = NULL, last_failure_at = NULL, last_error = ''
		WHERE lower(host) = lower($1)`, host, url)
	return err
}

// createRemotePerson writes a remote person and a fresh profile.
func (b *bencher) createRemotePerson(ctx context.Context, diasporaID, host string, pub *rsa.PublicKey) (*models.Person, error) {
	pem, err := models.PublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	p := &models.Person{GUID: pod.NewGUID(), DiasporaID: diasporaID, SerializedPublicKey: pem, PodHost: host, FetchedAt: &now}
	name, _, _ := strings.Cut(diasporaID, "@")
	err = b.st.Tx(ctx, func(tx *models.Store) error {
		if err := tx.CreatePerson(ctx, p); err != nil {
			return err
		}
		return tx.CreateProfile(ctx, &models.Profile{PersonID: p.ID, FirstName: name, Searchable: true})
	})
	return p, err
}

// onEveryCore calls fn(i) for i from 0 to n-1, on as many goroutines as
// there are cores; it returns the first error (a goroutine whose call
// fails makes no more calls).
func onEveryCore(n int, fn func(i int) error) error {
	var next atomic.Int64
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// generateKeys makes n RSA keys of bits, on every core, saying how far it got.
func (b *bencher) generateKeys(n, bits int) ([]*rsa.PrivateKey, error) {
	keys := make([]*rsa.PrivateKey, n)
	var done atomic.Int64
	start := time.Now()
	err := onEveryCore(n, func(i int) error {
		k, err := rsa.GenerateKey(crand.Reader, bits)
		if err != nil {
			return err
		}
		keys[i] = k
		if d := done.Add(1); d%10 == 0 || int(d) == n {
			fmt.Fprintf(b.out, "fed     %d of %d RSA-%d keys made (%s)\n", d, n, bits, time.Since(start).Round(time.Second))
		}
		return nil
	})
	return keys, err
}

// shareWith makes the people contacts of u, both ways, all in one aspect
// named name (created if u has none of that name), and returns it.
func (b *bencher) shareWith(ctx context.Context, u *benchUser, name string, people []int64) (int64, error) {
	var aspectID int64
	err := b.st.Tx(ctx, func(tx *models.Store) error {
		have, err := tx.AspectsOf(ctx, u.ID)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(have, func(a models.Aspect) bool { return a.Name == name }); i >= 0 {
			aspectID = have[i].ID
		} else {
			a := &models.Aspect{UserID: u.ID, Name: name}
			if err := tx.CreateAspect(ctx, a); err != nil {
				return err
			}
			aspectID = a.ID
		}
		for _, pid := range people {
			c, err := tx.EnsureContact(ctx, u.ID, pid)
			if err != nil {
				return err
			}
			if err := tx.SetContactFlags(ctx, c.ID, true, true); err != nil {
				return err
			}
			if _, err := tx.AddMembership(ctx, aspectID, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("aspect %q of %s: %w", name, u.Username, err)
	}
	return aspectID, nil
}

// unshare undoes shareWith: the aspect and u's contacts in it go, the
// remote people stay for later runs. Left in place, they would have the
// posts of other scenarios (the write scenario's, public or to that
// aspect) delivered to pods whose listeners are gone, retried for days.
func (b *bencher) unshare(ctx context.Context, u *benchUser, name string) error {
	tx, err := b.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE user_id = $1 AND id IN (SELECT m.contact_id FROM aspect_memberships m
		JOIN aspects a ON a.id = m.aspect_id WHERE a.user_id = $1 AND a.name = $2)`, u.ID, name); err != nil {
		return fmt.Errorf("remove the contacts of aspect %q: %w", name, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM aspects WHERE user_id = $1 AND name = $2`, u.ID, name); err != nil {
		return fmt.Errorf("remove aspect %q: %w", name, err)
	}
	return tx.Commit(ctx)
}

// cleanUp unshares, saying so when it cannot.
func (b *bencher) cleanUp(ctx context.Context, u *benchUser, name string) {
	if err := b.unshare(context.WithoutCancel(ctx), u, name); err != nil {
		fmt.Fprintf(b.out, "fed     %s keeps remote contacts (remove aspect %q): %v\n", u.Username, name, err)
	}
}

// runFederation runs the federation scenarios asked for and prints their
// reports.
func (b *bencher) runFederation(ctx context.Context, names []string) error {
	var rp *remotePods
	for _, name := range names {
		switch name {
		case "receive":
			r, err := b.runReceive(ctx)
			if err != nil {
				return err
			}
			b.reportReceive(r)
		case "fanout":
			if rp == nil {
				var err error
				if rp, err = startRemotePods(fanoutPods); err != nil {
					return err
				}
				defer rp.close()
			}
			r, err := b.runFanout(ctx, rp)
			if err != nil {
				return err
			}
			b.reportFanout(r)
		}
	}
	return nil
}
