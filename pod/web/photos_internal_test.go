package web

import (
	"encoding/json"
	"testing"
)

// FuzzPhotoIDsParam: the publisher's photos parameter reads any JSON a
// client sends without panicking and never yields a negative ID.
func FuzzPhotoIDsParam(f *testing.F) {
	for _, s := range []string{`[1,2]`, `"3"`, `4`, `null`, `["5", 6]`, `[null]`, `{"a":1}`, `[-1]`, `1e3`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p struct {
			Photos photoIDsParam `json:"photos"`
		}
		if err := json.Unmarshal([]byte(`{"photos":`+s+`}`), &p); err != nil {
			return
		}
		for _, id := range p.Photos.idListParam {
			if id < 0 {
				t.Fatalf("%s gave the ID %d", s, id)
			}
		}
	})
}

func TestPhotoIDsParam(t *testing.T) {
	for in, want := range map[string]int{`[1,2]`: 2, `"3"`: 1, `7`: 1, `null`: 0, `["5", 6]`: 2} {
		var p struct {
			Photos photoIDsParam `json:"photos"`
		}
		if err := json.Unmarshal([]byte(`{"photos":`+in+`}`), &p); err != nil || len(p.Photos.idListParam) != want {
			t.Errorf("%s: %v %v, want %d IDs", in, p.Photos.idListParam, err, want)
		}
	}
}
