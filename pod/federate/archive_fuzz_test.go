package federate_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
)

// seedArchive is a small valid archive in diaspora*'s format.
func seedArchive(f *testing.F) []byte {
	f.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	b, _ := json.Marshal(map[string]any{
		"version": "2.0",
		"user": map[string]any{
			"username": "a", "email": "a@example.org", "private_key": keyPEM, "blocks": []string{"b@pod.example"},
			"profile":        map[string]any{"entity_type": "profile", "entity_data": map[string]any{"author": "a@pod.example", "first_name": "A"}},
			"contact_groups": []map[string]any{{"name": "Friends"}},
			"contacts": []map[string]any{{"sharing": true, "following": true, "receiving": true, "followed": true,
				"account_id": "c@pod.example", "contact_groups_membership": []string{"Friends"}}},
			"posts": []map[string]any{{"entity_type": "status_message", "entity_data": map[string]any{"author": "a@pod.example",
				"guid": "0123456789abcdef0123456789abcdef", "created_at": "2020-01-01T00:00:00Z", "public": false, "text": "hi"},
				"subscribed_users_ids": []string{"c@pod.example"}}},
			"followed_tags": []string{"x"},
		},
	})
	return b
}

// FuzzReadArchive: whatever is uploaded, reading it as an archive never
// panics, fails only with a message for the user (an InvalidError), and
// what it accepts keeps the format's promises.
func FuzzReadArchive(f *testing.F) {
	valid := seedArchive(f)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(valid)
	zw.Close()
	f.Add(valid)
	f.Add(z.Bytes())
	f.Add([]byte(`{"version":"2.0","user":{}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0})
	f.Add([]byte(strings.Replace(string(valid), `"public":false`, `"public":true`, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := federate.ReadArchiveWithin(bytes.NewReader(data), 4<<20)

		if err != nil {
			var inv *pod.InvalidError
			if !errors.As(err, &inv) || inv.Fields["archive"] == "" {
				t.Fatalf("error without a message for the user: %v", err)
			}
			return
		}
		if a.Key == nil || !entity.ValidDiasporaID(a.OldID) {
			t.Fatalf("accepted without a key or owner: %+v", a)
		}
	})
}
