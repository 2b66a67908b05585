package conversations

import (
	"strconv"
	"testing"
	"time"
)

// FuzzDecodeMessageCursor: the "older messages" cursor comes from the
// query string; any value is either refused with an InvalidError or read
// back as a cursor that encodes to the same text.
func FuzzDecodeMessageCursor(f *testing.F) {
	for _, s := range []string{"", "1704164645_19a3b3c3d3e3f4041424344454647484", "x_y", "_", "-1_a", "99999999999999999999_a", "1_a_b", "1_<script>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeMessageCursor(s)
		if err != nil || s == "" {
			return
		}
		if back := strconv.FormatInt(c.Time.Unix(), 10) + "_" + c.GUID; back != s && strconv.FormatInt(mustInt(t, s), 10)+"_"+c.GUID != back {
			t.Errorf("%q read as %+v, which encodes as %q", s, c, back)
		}
		if c.Time.Location() != time.UTC {
			t.Errorf("%q read as a time outside UTC", s)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	for i := range s {
		if s[i] == '_' {
			n, err := strconv.ParseInt(s[:i], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%q has no _", s)
	return 0
}

func TestDecodeMessageCursor(t *testing.T) {
	c, err := decodeMessageCursor("1704164645_19a3b3c3d3e3f4041424344454647484")
	if err != nil || !c.Time.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || c.GUID != "19a3b3c3d3e3f4041424344454647484" {
		t.Errorf("cursor read as %+v %v", c, err)
	}
	for _, bad := range []string{"x_y", "-1_a", "1", "1_", "1_<b>", "1_a b"} {
		if _, err := decodeMessageCursor(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
