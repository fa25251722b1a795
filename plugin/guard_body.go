package plugin

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/plugin/httpsig"
	"github.com/facegate/facegate/plugin/keyring"
)

// preAuthBody is how much of a body is read before the caller is known:
// enough for any call without images and for the credential fields that
// SkyBiometry clients send before the files of a multipart upload. A larger
// body is read further only once credentials outside it (query, headers, a
// signature, a browser key's Origin) or in this first part check out, so
// that unauthenticated uploads cannot make the server buffer max_body each.
const preAuthBody = 64 << 10

// errBodyBeforeCredentials refuses a large body whose sender is not known.
func errBodyBeforeCredentials() *skyerr.Error {
	e := skyerr.New(skyerr.NotAuthenticated, "a request body over 64 KiB needs credentials first: api_key and api_secret in the query or as the first multipart fields, or a request signature")
	return e
}

// readGatedBody reads r's body up to limit when known reports that the
// caller's credentials check out; otherwise it reads preAuthBody bytes and
// goes on only if inBody finds valid credentials in them.
func readGatedBody(r *http.Request, limit int64, known func() bool, inBody func(prefix []byte) bool) ([]byte, *skyerr.Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge("request body exceeds the configured max_body")
	}
	if (r.ContentLength >= 0 && r.ContentLength <= preAuthBody) || limit <= preAuthBody || known() {
		return readBody(r, limit)
	}
	prefix, err := io.ReadAll(io.LimitReader(r.Body, preAuthBody+1))
	if err != nil {
		return nil, badArgs("reading request body failed")
	}
	if len(prefix) <= preAuthBody {
		r.Body = io.NopCloser(bytes.NewReader(prefix))
		return prefix, nil
	}
	if !inBody(prefix) {
		return nil, errBodyBeforeCredentials()
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(prefix), r.Body), r.Body}
	return readBody(r, limit)
}

// credentialsOutsideBody reports whether the request's credentials that
// travel outside the body already check out: api_key and api_secret in the
// query (or X-Api-Key/X-Api-Secret in proxy mode), a request signature over
// its headers, or a browser key's allowed Origin; and the key id they name.
func (g *Guard) credentialsOutsideBody(r *http.Request, st *state) (bool, string) {
	q := r.URL.Query()
	keyID, secret := q.Get("api_key"), q.Get("api_secret")
	if g.Mode == "proxy" {
		if h := r.Header.Get("X-Api-Key"); h != "" {
			keyID = h
		}
		if h := r.Header.Get("X-Api-Secret"); h != "" {
			secret = h
		}
	}
	if keyID != "" && secret != "" && st.keys.CheckSecret(keyID, secret) {
		return true, keyID
	}
	if sig, err := httpsig.ParseRequest(r.Header); err == nil {
		secrets, err := st.keys.SigningKeys(sig.KeyID)
		if err != nil {
			return false, sig.KeyID
		}
		now := time.Now()
		for _, s := range secrets {
			if res, err := s.VerifyHeaders(r, sig, now); err == nil && res.Valid {
				return true, sig.KeyID
			}
		}
		return false, sig.KeyID
	}
	if origin := r.Header.Get("Origin"); keyID != "" && origin != "" {
		k, err := st.keys.View(keyID)
		return err == nil && slices.Contains(k.AuthModes, "domain") && corsAllowed(k, true, origin), keyID
	}
	return false, keyID
}

// credentialsInPrefix reports whether the first bytes of a body hold
// api_key and api_secret that check out: the complete fields of a
// multipart body before its first file, or the complete pairs of an
// urlencoded one; and the key id they name.
func credentialsInPrefix(r *http.Request, st *state, prefix []byte) (bool, string) {
	fields := map[string]string{}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mediaType == "multipart/form-data" && mparams["boundary"] != "":
		mr := multipart.NewReader(bytes.NewReader(prefix), mparams["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			data, err := io.ReadAll(io.LimitReader(p, preAuthBody))
			if err != nil || p.FileName() != "" || isBinary(data) {
				break // a file, or a part cut off by the prefix: no fields after it count
			}
			fields[p.FormName()] = string(data)
		}
	case mediaType == "" || mediaType == formMediaType:
		s := string(prefix)
		if i := strings.LastIndexByte(s, '&'); i >= 0 {
			s = s[:i] // the last pair may be cut off
		} else {
			return false, ""
		}
		if err := parseForm(fields, s); err != nil && !errors.Is(err, io.EOF) {
			return false, ""
		}
	default:
		return false, ""
	}
	keyID, secret := fields["api_key"], fields["api_secret"]
	return keyID != "" && secret != "" && st.keys.CheckSecret(keyID, secret), keyID
}

// bodyGate remembers, for a large body refused before credentials, the key
// id its request named (if any), so that the refusal counts as a failed
// authentication of that key from that address: otherwise large bodies
// would be a way to test secrets without being counted.
// A key that could not be read (the store unreachable) is not refused but
// unreadable: answered 105, and not counted.
type bodyGate struct {
	refused    bool
	unreadable bool
	keyID      string
}

// known and inBody are readGatedBody's checks, recording the key id.
func (b *bodyGate) known(g *Guard, r *http.Request, st *state) func() bool {
	return func() bool {
		ok, id := g.credentialsOutsideBody(r, st)
		b.keyID = id
		return ok
	}
}

func (b *bodyGate) inBody(r *http.Request, st *state) func([]byte) bool {
	return func(prefix []byte) bool {
		ok, id := credentialsInPrefix(r, st, prefix)
		if id != "" {
			b.keyID = id
		}
		if !ok && b.keyID != "" && keyUnreadable(st, b.keyID) {
			b.unreadable = true
			return false
		}
		b.refused = !ok
		return ok
	}
}

// keyUnreadable reports whether key id could not be read for another
// reason than not existing (the store unreachable).
func keyUnreadable(st *state, id string) bool {
	_, err := st.keys.View(id)
	return err != nil && !errors.Is(err, keyring.ErrNotFound)
}
