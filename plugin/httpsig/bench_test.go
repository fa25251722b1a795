package httpsig

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the server side. The baseline is the unavoidable work: one
// HMAC-SHA256 over a signature base plus one SHA-256 over the body. Run:
//
//	go test ./plugin/httpsig -run '^$' -bench . -benchmem -benchtime 20000x

func benchRequest(b *testing.B, body []byte) (*http.Request, *Parsed) {
	c, err := http.NewRequest("POST", "https://api.facegate.test/fc/faces/detect.json?attributes=all", strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	c.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := SignRequest(c, body, vecKeyID, []byte(vecSecret), testNow); err != nil {
		b.Fatal(err)
	}
	r := toServer(c, body)
	p, err := ParseRequest(r.Header)
	if err != nil {
		b.Fatal(err)
	}
	return r, p
}

var benchBody = []byte(strings.Repeat("urls=https%3A%2F%2Fexample.com%2Fa.jpg&", 25)) // 1 KB

func BenchmarkBaselineHMACAndDigest(b *testing.B) {
	r, p := benchRequest(b, benchBody)
	base, _ := Base(r, p)
	k := NewKey([]byte(vecSecret))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = k.sum(base)
		_ = ContentDigest(benchBody)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	r, _ := benchRequest(b, benchBody)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseRequest(r.Header); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	r, p := benchRequest(b, benchBody)
	now := testNow.Add(time.Second)
	k := NewKey([]byte(vecSecret)) // as a server holds it
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := k.Verify(r, benchBody, p, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNonceSeen(b *testing.B) {
	now := testNow
	nc := NewNonceCacheClock(1<<22, 0, func() time.Time { return now })
	nonces := make([]string, 1<<16)
	for i := range nonces {
		nonces[i], _ = NewNonce()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nc.Seen(vecKeyID, nonces[i%len(nonces)], now.Add(MaxAge))
	}
}

var benchRespBody = []byte(`{"status":"success","photos":[{"url":"https://example.com/a.jpg","width":640,"height":480,"tags":[]}]}`)

func BenchmarkSignResponse(b *testing.B) {
	_, p := benchRequest(b, benchBody)
	now := testNow.Add(time.Second)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	k := NewKey([]byte(vecSecret))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := k.SignResponse(h, 200, benchRespBody, p, now); err != nil {
			b.Fatal(err)
		}
	}
}
