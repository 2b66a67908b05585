package tasks

import (
	"bytes"
	"reflect"
	"testing"
)

func TestDeliverPodPayloadRoundTrip(t *testing.T) {
	d := DeliverPod{PodID: 42, ContentType: "application/json", Items: []DeliverItem{
		{DeliveryID: "deliver:aa", URL: "https://pod.example/receive/users/1", Body: []byte(`{"aes_key":"k","encrypted_magic_envelope":"e"}`)},
		{DeliveryID: "deliver:bb", URL: "https://pod.example/receive/users/2", Body: []byte{}},
		{DeliveryID: "deliver:cc", URL: "https://pod.example/receive/users/3", Body: bytes.Repeat([]byte{0, 0xff, '"'}, 1000)},
	}}
	b := d.Encode()
	if bytes.Contains(b, []byte("AP8i")) {
		t.Error("the bodies are base64-encoded in the payload")
	}
	got, err := DecodeDeliverPod(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.PodID != d.PodID || got.ContentType != d.ContentType || len(got.Items) != len(d.Items) {
		t.Fatalf("decoded %+v", got)
	}
	for i := range d.Items {
		if got.Items[i].DeliveryID != d.Items[i].DeliveryID || got.Items[i].URL != d.Items[i].URL || !bytes.Equal(got.Items[i].Body, d.Items[i].Body) {
			t.Errorf("item %d: got %+v, want %+v", i, got.Items[i], d.Items[i])
		}
	}
	// Truncated, extended or foreign payloads are refused.
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-1], "extended": append(append([]byte{}, b...), 'x'), "json": []byte(`{"pod_id":1}`), "empty": nil,
		"header cut": b[:len(deliverPodMagic)+3],
	} {
		if _, err := DecodeDeliverPod(bad); err == nil {
			t.Errorf("%s payload accepted", name)
		}
	}
}

func FuzzDecodeDeliverPod(f *testing.F) {
	f.Add(DeliverPod{PodID: 1, ContentType: "x", Items: []DeliverItem{{DeliveryID: "a", URL: "u", Body: []byte("body")}}}.Encode())
	f.Add([]byte(deliverPodMagic + "\x05{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDeliverPod(b)
		if err != nil {
			return
		}
		again, err := DecodeDeliverPod(d.Encode())
		if err != nil {
			t.Fatalf("re-encoded payload refused: %v", err)
		}
		if again.PodID != d.PodID || len(again.Items) != len(d.Items) {
			t.Fatalf("round trip changed %+v into %+v", d, again)
		}
		for i := range d.Items {
			if !reflect.DeepEqual(again.Items[i].Body, d.Items[i].Body) && len(d.Items[i].Body) > 0 {
				t.Fatalf("item %d's body changed", i)
			}
		}
	})
}
