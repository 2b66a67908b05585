package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aspenpod/aspen/models"
)

// keyPair returns a public key PEM and a sealed private key for a new
// person: from the pre-generated pool when it has one, generated here
// otherwise (slow at 4096 bits, so the pool is kept filled by a job).
func (a *Service) keyPair(ctx context.Context, tx *models.Store) (pub, sealed string, err error) {
	k, err := tx.TakePooledKey(ctx, a.opt.RSABits)
	if err == nil {
		return k.SerializedPublicKey, k.SerializedPrivateKey, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return "", "", err
	}
	a.log.Warn("key pool empty, generating a key during sign-up; is a worker running?", "bits", a.opt.RSABits)
	return a.newKeyPair(a.opt.RSABits)
}

func (a *Service) newKeyPair(bits int) (pub, sealed string, err error) {
	priv, err := models.GenerateKey(bits)
	if err != nil {
		return "", "", err
	}
	if pub, err = models.PublicKeyPEM(&priv.PublicKey); err != nil {
		return "", "", err
	}
	if sealed, err = a.sealer.Seal(priv); err != nil {
		return "", "", err
	}
	return pub, sealed, nil
}

// FillKeyPool generates key pairs until the pool holds target of the given
// size. It returns how many it added.
func (a *Service) FillKeyPool(ctx context.Context, bits, target int) (int, error) {
	if bits == 0 {
		bits = a.opt.RSABits
	}
	have, err := a.store.CountPooledKeys(ctx, bits)
	if err != nil {
		return 0, err
	}
	added := 0
	for i := int(have); i < target; i++ {
		if err := ctx.Err(); err != nil {
			return added, err
		}
		start := time.Now()
		pub, sealed, err := a.newKeyPair(bits)
		if err != nil {
			return added, err
		}
		if err := a.store.AddPooledKey(ctx, &models.PooledKey{Bits: bits, SerializedPublicKey: pub, SerializedPrivateKey: sealed}); err != nil {
			return added, fmt.Errorf("store pooled key: %w", err)
		}
		added++
		a.log.Debug("pooled key generated", "bits", bits, "took", time.Since(start))
	}
	return added, nil
}
