package entity

import (
	"bytes"
	"testing"

	"github.com/aspenpod/aspen/federation/internal/vectors"
)

func addXMLSeeds(f *testing.F) {
	for _, pat := range []string{"generated/*.payload.xml", "gem-spec/*.xml", "docs-examples/*.xml"} {
		for _, p := range vectors.Glob(f, pat) {
			f.Add(vectors.Read(f, p))
		}
	}
}

// FuzzParseXML: parsing never panics, and whatever parses re-serialises into
// XML (and JSON) that parses again to the same bytes.
func FuzzParseXML(f *testing.F) {
	addXMLSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseXML(data)
		if err != nil {
			return
		}
		x1, err := MarshalXML(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseXML(x1)
		if err != nil {
			t.Fatalf("re-serialised entity does not parse: %v\n%s", err, x1)
		}
		x2, _ := MarshalXML(e2)
		if !bytes.Equal(x1, x2) {
			t.Fatalf("serialisation not stable:\n%s\n%s", x1, x2)
		}
		j, err := MarshalJSON(e2)
		if err != nil {
			t.Fatal(err)
		}
		e3, err := ParseJSON(j)
		if err != nil {
			t.Fatalf("JSON form does not parse: %v\n%s", err, j)
		}
		if x3, _ := MarshalXML(e3); !bytes.Equal(x2, x3) {
			t.Fatalf("JSON round trip changed the entity:\n%s\n%s", x2, x3)
		}
	})
}

// FuzzParseJSON: parsing the JSON form never panics, and whatever parses
// re-serialises into JSON and XML that parse again.
func FuzzParseJSON(f *testing.F) {
	for _, pat := range []string{"generated/*.payload.xml", "gem-spec/*.xml", "docs-examples/*.xml"} {
		for _, p := range vectors.Glob(f, pat) {
			if e, err := ParseXML(vectors.Read(f, p)); err == nil {
				j, _ := MarshalJSON(e)
				f.Add(j)
			}
		}
	}
	f.Add([]byte(`{"entity_type":"comment","entity_data":{"author":"a@b.c"},"property_order":["x y"]}`))
	f.Add([]byte(`{"entity_type":"comment","entity_data":{"author":"0@0","guid":"0000000000000000","parent_guid":"0000000000000000","text":"0"},"property_order":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseJSON(data)
		if err != nil {
			return
		}
		j, err := MarshalJSON(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseJSON(j)
		if err != nil {
			t.Fatalf("re-serialised JSON does not parse: %v\n%s", err, j)
		}
		x, err := MarshalXML(e2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseXML(x); err != nil {
			t.Fatalf("XML form does not parse: %v\n%s", err, x)
		}
	})
}
