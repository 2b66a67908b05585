package tasks

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

func TestDeliverPodPayloadRoundTrip(t *testing.T) {
	d := DeliverPod{PodID: 42, ContentType: "application/json", Tried: 1, Items: []DeliverItem{
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
	if got.PodID != d.PodID || got.ContentType != d.ContentType || got.Tried != 1 || len(got.Items) != len(d.Items) {
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
		"header cut":      b[:len(deliverPodMagic)+3],
		"negative tried":  DeliverPod{PodID: 1, Tried: -1}.Encode(),
		"tried too often": DeliverPod{PodID: 1, Tried: maxTried + 1}.Encode(),
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
		if again.PodID != d.PodID || again.Tried != d.Tried || len(again.Items) != len(d.Items) {
			t.Fatalf("round trip changed %+v into %+v", d, again)
		}
		for i := range d.Items {
			if !reflect.DeepEqual(again.Items[i].Body, d.Items[i].Body) && len(d.Items[i].Body) > 0 {
				t.Fatalf("item %d's body changed", i)
			}
		}
	})
}

// A per-pod task queued after an attempt made before it (Tried) waits as a
// retry after that many attempts would: its schedule goes on, it does not
// start again.
func TestDeliverPodRetryDelayCountsEarlierAttempts(t *testing.T) {
	delay := RetryDelay(time.Millisecond)
	task := func(tried int) *asynq.Task {
		return NewDeliverPod("deliver-pod:x", DeliverPod{PodID: 1, Tried: tried, Items: []DeliverItem{{DeliveryID: "a", URL: "u", Body: []byte("b")}}}, 3, 0)
	}
	// FederationBackoff(n) is (n+3)^4 units plus a jitter under 30*(n+1).
	within := func(d time.Duration, n int) bool {
		base := time.Duration((n+3)*(n+3)*(n+3)*(n+3)) * time.Millisecond
		return d >= base && d < base+time.Duration(30*(n+1))*time.Millisecond
	}
	for _, c := range []struct{ tried, retried, want int }{{0, 0, 1}, {0, 2, 3}, {1, 0, 2}, {1, 2, 4}} {
		if d := delay(c.retried, nil, task(c.tried)); !within(d, c.want) {
			t.Errorf("tried %d, retried %d: delay %s, want FederationBackoff(%d)", c.tried, c.retried, d, c.want)
		}
	}
}
