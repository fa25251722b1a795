// Package httpsig implements facegate's profile of RFC 9421 HTTP Message
// Signatures (docs/security.md §2) with RFC 9530 Content-Digest.
//
// A request signature is labelled sig1, uses alg="hmac-sha256" keyed with
// the bytes of the api_secret string, carries keyid, created, expires (at
// most created+300 s), a nonce of at least 128 random bits (base64url) and
// tag="facegate/v1", and covers "@method" "@authority" "@path" "@query"
// "content-type" "content-digest". The HTTP version is never covered, so
// signatures survive HTTP/1.1 ↔ HTTP/2 proxies.
//
// Server side, the guard calls ParseRequest, reads the body, then Verify (or
// VerifyFresh with a NonceCache) and hands the Result to the policy; it
// signs its answer with SignResponse, which binds the response to the
// request's signature through `"signature";req;key="sig1"`. A server that
// checks many requests under one secret holds a Key (NewKey) beside the
// secret and calls its methods, which reuse the keyed HMAC states; the
// package itself keeps no secret from one call to the next.
//
// Client side, SignRequest signs one request and Transport signs every
// request of an http.Client; VerifyResponse checks the server's answer.
//
// Structured fields are parsed by a small strict parser (sfv.go) that
// rejects duplicate keys and parameters instead of keeping the last one.
// Base builds the signature base for any component list, which is how the
// RFC 9421 Appendix B.2.5 vector is pinned in the tests.
//
// This package does not import Caddy.
package httpsig
