package httpsig_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/facegate/facegate/plugin/httpsig"
)

// A client signs every request with Transport; a server verifies with
// ParseRequest, VerifyFresh and answers with SignResponse; the client then
// checks the answer with VerifyResponse.
func ExampleTransport() {
	secret := []byte("fg_secret_example_0123456789abcdefghijklmnopqrstu")
	nonces := httpsig.NewNonceCache(10_000, 10*time.Minute)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := httpsig.ParseRequest(r.Header)
		if err != nil {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		res, err := httpsig.VerifyFresh(r, body, p, secret, time.Now(), nonces)
		if err != nil {
			http.Error(w, res.Reason, http.StatusUnauthorized)
			return
		}
		out := []byte(`{"status":"success"}`)
		_ = httpsig.SignResponse(w.Header(), http.StatusOK, out, p, secret, time.Now())
		w.Write(out)
	}))
	defer srv.Close()

	client := &http.Client{Transport: &httpsig.Transport{
		Base: srv.Client().Transport, KeyID: "fg_live_example", Secret: secret,
	}}
	resp, err := client.Get(srv.URL + "/fc/account/users.json?namespaces=docs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println("response verified:", httpsig.VerifyResponse(resp, body, secret, time.Now()) == nil)
	// Output:
	// 200 {"status":"success"}
	// response verified: true
}
