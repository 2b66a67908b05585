package fedhost_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

func TestCoordinate(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit float64
		want  string
	}{
		{"48.208174", 90, "48.208174"}, {" -16.5 ", 180, "-16.5"}, {"90", 90, "90"}, {"90.0000001", 90, ""},
		{"1e-300", 90, "0"}, {"-0", 90, "0"}, {"12.3456789012345", 180, "12.3456789"}, {"NaN", 90, ""}, {"Inf", 180, ""},
		{"", 90, ""}, {"0x10", 90, ""}, {"0x1p4", 90, ""}, {"1_0", 90, ""}, {"4.5e1", 90, "45"}, {"north", 90, ""}, {"-180.5", 180, ""},
	} {
		if got := fedhost.Coordinate(c.in, c.limit); got != c.want {
			t.Errorf("Coordinate(%q, %v) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}

// FuzzReceivedExtras: whatever a received status message carries, the
// rows made of its poll, location and event fit their columns (addresses
// and questions of at most 255 characters, coordinates of at most 32
// characters and on Earth, a known time zone), so storing them cannot fail
// and make the delivery retry for a day.
func FuzzReceivedExtras(f *testing.F) {
	f.Add("Vienna", "48.208174", "16.373819", "Q?", "Yes", "Europe/Berlin", "Cool", int64(1482840000))
	f.Add(strings.Repeat("é", 300), "1e-300", "-0", strings.Repeat("q", 300), "", "Local", "", int64(-1))
	f.Add("", "90.00000001", "NaN", "", "\x00", "../../etc/passwd", "x", int64(0))
	f.Fuzz(func(t *testing.T, addr, lat, lng, question, answer, tz, summary string, start int64) {
		l := fedhost.ReceivedLocation(&entity.Location{Address: addr, Lat: lat, Lng: lng})
		if utf8.RuneCountInString(l.Address) > 255 || len(l.Lat) > 32 || len(l.Lng) > 32 {
			t.Fatalf("location row does not fit: %+v", l)
		}
		for _, c := range []struct {
			v     string
			limit float64
		}{{l.Lat, 90}, {l.Lng, 180}} {
			if c.v == "" {
				continue
			}
			f, err := strconv.ParseFloat(c.v, 64)
			if err != nil || f < -c.limit || f > c.limit {
				t.Fatalf("coordinate %q is no point on Earth", c.v)
			}
		}
		poll, answers := fedhost.ReceivedPoll(&entity.Poll{GUID: "17b2e3d4c5b6a79880123456789abcde", Question: question,
			Answers: []*entity.PollAnswer{{GUID: "17c2e3d4c5b6a79880123456789abcde", Answer: answer}}})
		if utf8.RuneCountInString(poll.Question) > 255 || len(answers) != 1 || utf8.RuneCountInString(answers[0].Answer) > 255 {
			t.Fatalf("poll rows do not fit: %+v %+v", poll, answers)
		}
		ev := fedhost.ReceivedEvent(&entity.Event{Author: "alice@pod-a.org", GUID: "bb8371f0b1c901342ebd55853a9b5d75", Summary: summary,
			Start: time.Unix(start, 0), Timezone: tz, Location: &entity.Location{Address: addr, Lat: lat, Lng: lng}}, 1)
		if len(ev.Timezone) > 255 || ev.Timezone == "Local" || utf8.RuneCountInString(ev.Summary) > 255 || len(ev.LocationLat) > 32 {
			t.Fatalf("event row does not fit: %+v", ev)
		}
		if ev.Timezone != "" {
			if _, err := time.LoadLocation(ev.Timezone); err != nil {
				t.Fatalf("time zone %q kept: %v", ev.Timezone, err)
			}
		}
	})
}
