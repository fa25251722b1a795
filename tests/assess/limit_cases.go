package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limitCases check resource limits (API4: body, image, parts, pixels,
// decompression bombs, rate limits and quotas; issue 11 finding 4) and
// bulk enumeration (API6), against the default limits of facegate.
func (a *assessor) limitCases() {
	k, err := a.adm.ownerKey(a.ns("assess-limits"), a.ns("assess-limits"))
	if err != nil {
		a.skip(API4, "limit cases", "admin API setup", "a key", err.Error())
		return
	}
	c := a.t.client(a.t.nextSource())
	fast4xx := func(r *resp, within time.Duration) (string, string) {
		obs := fmt.Sprintf("%s after %v", r, r.Took.Round(time.Millisecond))
		return obs, verdict(r.Status >= 400 && r.Status < 500 && r.str("status") == "failure" && r.Took < within)
	}
	status := func(r *resp, want int) (string, string) {
		return r.String(), verdict(r.Status == want && r.str("status") == "failure")
	}
	a.add(API4, "PNG header claiming 40000x40000 (issue 11 finding 4)", "faces/detect with a 100-byte PNG whose IHDR claims 40000x40000",
		"a clear 4xx within 3 s, nothing decoded", func() (string, string) {
			return fast4xx(a.upload(c, "faces/detect", k, nil, bombPNG(40000, 40000)), 3*time.Second)
		})
	a.add(API4, "decompression bomb: real 6000x6000 PNG of zeros", "faces/detect with a small PNG that inflates to 36 MP (over max_pixels 25 MP)",
		"a clear 4xx within 3 s", func() (string, string) {
			return fast4xx(a.upload(c, "faces/detect", k, nil, zeroPNG(6000, 6000)), 3*time.Second)
		})
	a.add(API4, "JPEG whose frame header claims 65000x65000", "faces/detect with a real JPEG, SOF dimensions patched to 65000x65000",
		"a clear 4xx within 3 s", func() (string, string) {
			return fast4xx(a.upload(c, "faces/detect", k, nil, hugeJPEG()), 3*time.Second)
		})
	a.add(API4, "image over max_image_bytes", "faces/detect with a real photo padded to 11 MiB (default max_image_bytes 10 MiB)",
		"HTTP 413 failure", func() (string, string) {
			img := append(bytes.Clone(a.photo), make([]byte, 11<<20)...)
			return status(a.upload(c, "faces/detect", k, nil, img), http.StatusRequestEntityTooLarge)
		})
	a.add(API4, "body over max_body", "faces/detect, credentials first, two 10.5 MiB parts (21 MiB, default max_body 20 MiB)",
		"HTTP 413 failure", func() (string, string) {
			part := make([]byte, 21<<19)
			return status(a.upload(c, "faces/detect", k, nil, part, part), http.StatusRequestEntityTooLarge)
		})
	a.add(API4, "too many images", "faces/detect with 11 copies of a small PNG (default max_images 10)",
		"HTTP 400 failure", func() (string, string) {
			imgs := make([][]byte, 11)
			for i := range imgs {
				imgs[i] = noisePNG(32, 32)
			}
			return status(a.upload(c, "faces/detect", k, nil, imgs...), http.StatusBadRequest)
		})
	a.add(API4, "too many multipart parts", "faces/detect with 40 extra fields (default max_parts 32)",
		"HTTP 413 failure", func() (string, string) {
			extra := url.Values{}
			for i := range 40 {
				extra.Set("p"+strconv.Itoa(i), "v")
			}
			return status(a.upload(c, "faces/detect", k, extra, noisePNG(32, 32)), http.StatusRequestEntityTooLarge)
		})
	a.add(API4, "parameter over max_param_bytes", "tags/get with a 70 KiB uids parameter (default max_param_bytes 64 KiB)",
		"a 4xx failure", func() (string, string) {
			return fast4xx(a.call(c, "tags/get", k, url.Values{"uids": {strings.Repeat("a", 70<<10) + "@" + a.ns("assess-limits")}}), 10*time.Second)
		})

	a.rateCases()

	uids := make([]string, 1001)
	for i := range uids {
		uids[i] = "u" + strconv.Itoa(i) + "@" + a.ns("assess-limits")
	}
	for _, tc := range []struct {
		title, sent string
		params      url.Values
		code        int
	}{
		{"1001 uids in one call", "tags/get uids=<1001 uids>", url.Values{"uids": {strings.Join(uids, ",")}}, 407},
		{"limit over the maximum", "tags/get uids=all&namespace=assess-limits&limit=100000", url.Values{"uids": {"all"}, "namespace": {a.ns("assess-limits")}, "limit": {"100000"}}, 406},
		{"uids=all without a namespace", "tags/get uids=all", url.Values{"uids": {"all"}}, 403},
	} {
		a.add(API6, tc.title, "POST /fc/"+tc.sent, fmt.Sprintf("HTTP 400 error %d", tc.code), func() (string, string) {
			r := a.call(c, "tags/get", k, tc.params)
			return r.String(), verdict(r.Status == http.StatusBadRequest && r.code() == tc.code)
		})
	}
}

// rateCases check rate limits and quotas: 429 with Retry-After, exactly
// at the configured numbers.
func (a *assessor) rateCases() {
	mk := func(tier string, limits map[string]any) (key, error) {
		spec := map[string]any{"owner": a.ns("assess-limits"), "namespaces": []string{a.ns("assess-limits")}, "scopes": []string{"*"}, "tier": tier}
		if limits != nil {
			spec["limits"] = limits
		}
		return a.adm.createKey(spec)
	}
	c := a.t.client(a.t.nextSource())
	a.add(API4, "rate limit: burst of 3, one token an hour", "5 account/authenticate calls with a key limited to rate 1/3600 s, burst 3",
		"3 calls HTTP 200, then HTTP 429 error 202 with Retry-After", func() (string, string) {
			k, err := mk("unlimited", map[string]any{"assess-rate": map[string]any{"kind": "rate", "rate": 1, "per_s": 3600, "burst": 3}})
			if err != nil {
				return err.Error(), Fail
			}
			var got []string
			ok := true
			for i := range 5 {
				r := a.call(c, "account/authenticate", k, nil)
				got = append(got, strconv.Itoa(r.Status))
				if i < 3 {
					ok = ok && r.ok()
				} else {
					ok = ok && r.Status == http.StatusTooManyRequests && r.code() == 202 && r.Header.Get("Retry-After") != ""
				}
			}
			return "statuses " + strings.Join(got, ","), verdict(ok)
		})
	a.add(API4, "default free tier is rate limited", "25 concurrent account/authenticate calls with a free-tier key (5/s, burst 10)",
		"at most the burst of 10 (plus refill) served, the rest HTTP 429 error 202 (rate) or 203 (concurrency) with Retry-After", func() (string, string) {
			k, err := mk("free", nil)
			if err != nil {
				return err.Error(), Fail
			}
			res := make([]*resp, 25)
			var wg sync.WaitGroup
			start := time.Now()
			for i := range res {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i] = a.call(c, "account/authenticate", k, nil)
				}()
			}
			wg.Wait()
			took := time.Since(start)
			served, refused := 0, 0
			ok := true
			for _, r := range res {
				switch {
				case r.ok():
					served++
				case r.Status == http.StatusTooManyRequests && (r.code() == 202 || r.code() == 203) && r.Header.Get("Retry-After") != "":
					refused++ // 203: the free tier's concurrency limit can answer first
				default:
					ok = false
				}
			}
			// The bucket refills 5 a second while the burst runs.
			most := 10 + 1 + int(5*took.Seconds())
			obs := fmt.Sprintf("%d served, %d refused with 429/202 or 203 and Retry-After, in %v", served, refused, took.Round(time.Millisecond))
			return obs, verdict(ok && refused > 0 && served >= 1 && served <= most) // concurrency refusals can come before the burst is spent
		})
	a.add(API4, "image quota", "faces/detect of 2 images, then 2 more, with a quota of 3 images an hour",
		"first HTTP 200, then HTTP 429 error 202 with Retry-After", func() (string, string) {
			k, err := mk("unlimited", map[string]any{"assess-quota": map[string]any{"kind": "quota", "count": 3, "per_s": 3600}})
			if err != nil {
				return err.Error(), Fail
			}
			img := noisePNG(32, 32)
			first := a.upload(c, "faces/detect", k, nil, img, img)
			over := a.upload(c, "faces/detect", k, nil, img, img)
			obs := fmt.Sprintf("first %s; then %s Retry-After %q", first, over, over.Header.Get("Retry-After"))
			return obs, verdict(first.ok() && over.Status == http.StatusTooManyRequests && over.code() == 202 && over.Header.Get("Retry-After") != "")
		})
}

// bombPNG is a valid PNG header claiming w×h pixels with a tiny IDAT.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 4096))
	_ = zw.Close()
	return pngChunks(ihdr, z.Bytes())
}

// zeroPNG is a real w×h greyscale PNG of zeros: small compressed, w×h
// bytes inflated.
func zeroPNG(w, h int) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grey
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, w+1) // filter byte + pixels
	for range h {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	return pngChunks(ihdr, z.Bytes())
}

// pngChunks assembles signature, IHDR, IDAT and IEND.
func pngChunks(ihdr, idat []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		body := append([]byte(typ), data...)
		b.Write(body)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(body))
		b.Write(n[:])
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", idat)
	chunk("IEND", nil)
	return b.Bytes()
}

// noisePNG is a small grey PNG without a face.
func noisePNG(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: uint8((x*31 + y*17 + x*y) % 251)})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// hugeJPEG is a real 16×16 JPEG whose SOF0 header claims 65000×65000.
func hugeJPEG() []byte {
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	b := buf.Bytes()
	for i := 2; i+9 < len(b); i++ {
		if b[i] == 0xFF && b[i+1] == 0xC0 { // SOF0: length(2) precision(1) height(2) width(2)
			binary.BigEndian.PutUint16(b[i+5:], 65000)
			binary.BigEndian.PutUint16(b[i+7:], 65000)
			break
		}
	}
	return b
}
