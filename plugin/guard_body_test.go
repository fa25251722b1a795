package plugin

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadGatedBody(t *testing.T) {
	big := bytes.Repeat([]byte{0xff}, 3*preAuthBody)
	tests := []struct {
		name       string
		body       []byte
		chunked    bool // no Content-Length
		known      bool
		inBody     bool
		wantErr    bool
		maxRead    int // bytes read from the client at most
		wantLength int
	}{
		{"small body, unknown caller", []byte("a=1&b=2"), false, false, false, false, 100, 7},
		{"large body, credentials outside it", big, false, true, false, false, len(big) + 1, len(big)},
		{"large body, credentials in its first bytes", big, false, false, true, false, len(big) + 1, len(big)},
		{"large body, no credentials: refused after the allowance", big, false, false, false, true, preAuthBody + 1, 0},
		{"chunked large body, no credentials", big, true, false, false, true, preAuthBody + 1, 0},
		{"chunked small body", []byte("x=1"), true, false, false, false, 100, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(tt.body)}
			r := httptest.NewRequest("POST", "/fc/faces/detect", io.NopCloser(cr))
			r.ContentLength = int64(len(tt.body))
			if tt.chunked {
				r.ContentLength = -1
			}
			knownCalls := 0
			var sawPrefix int
			body, err := readGatedBody(r, 20<<20,
				func() bool { knownCalls++; return tt.known },
				func(p []byte) bool { sawPrefix = len(p); return tt.inBody })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if cr.n > tt.maxRead {
				t.Fatalf("read %d bytes from the client, at most %d expected", cr.n, tt.maxRead)
			}
			if len(body) != tt.wantLength {
				t.Fatalf("body of %d bytes, want %d", len(body), tt.wantLength)
			}
			if err == nil && tt.wantLength > 0 {
				again, _ := io.ReadAll(r.Body)
				if !bytes.Equal(again, body) {
					t.Fatal("r.Body does not hold the body read")
				}
			}
			if tt.wantErr && !strings.Contains(err.Error(), "credentials first") {
				t.Fatalf("unclear error: %v", err)
			}
			if sawPrefix != 0 && sawPrefix != preAuthBody+1 {
				t.Fatalf("inBody saw %d bytes", sawPrefix)
			}
		})
	}
	t.Run("over max_body is refused unread", func(t *testing.T) {
		cr := &countingReader{r: bytes.NewReader(big)}
		r := httptest.NewRequest("POST", "/fc/faces/detect", io.NopCloser(cr))
		r.ContentLength = int64(len(big))
		if _, err := readGatedBody(r, preAuthBody*2, func() bool { return true }, func([]byte) bool { return true }); err == nil || cr.n != 0 {
			t.Fatalf("err %v after reading %d bytes", err, cr.n)
		}
	})
}
