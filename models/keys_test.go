package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/models"
)

func TestKeySealerRoundTripAndWrongSecret(t *testing.T) {
	priv, err := models.GenerateKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := models.NewKeySealer(strings.Repeat("a", 32))
	sealed, err := a.Seal(priv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "PRIVATE KEY") {
		t.Fatal("sealed key is in clear")
	}
	got, err := a.Open(sealed)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !got.Equal(priv) {
		t.Fatal("round trip changed the key")
	}
	b, _ := models.NewKeySealer(strings.Repeat("b", 32))
	if _, err := b.Open(sealed); !errors.Is(err, models.ErrWrongSecret) {
		t.Fatalf("Open with wrong secret = %v, want ErrWrongSecret", err)
	}
	tampered := sealed[:len(sealed)-4] + "AAA="
	if _, err := a.Open(tampered); !errors.Is(err, models.ErrWrongSecret) {
		t.Fatalf("Open tampered = %v, want ErrWrongSecret", err)
	}
}
