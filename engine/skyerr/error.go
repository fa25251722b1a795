package skyerr

import "fmt"

// Error is a SkyBiometry error: a numeric code, its NAME, a detail and the HTTP status the
// failure is answered with. Error() renders SkyBiometry's "NAME - detail" message. The detail
// is shown to the client: it never holds a secret, a descriptor or image bytes.
type Error struct {
	Code       int
	Name       string
	Detail     string
	HTTPStatus int
}

// New returns the error for code with a detail (formatted with args when given) and the
// code's HTTP status; an unknown code becomes 107 UNKNOWN_ERROR.
func New(code int, detail string, args ...any) *Error {
	e, ok := table[code]
	if !ok {
		code, e = Unknown, table[Unknown]
	}
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &Error{Code: code, Name: e.name, Detail: detail, HTTPStatus: e.status}
}

// WithStatus sets the HTTP status when a caller answers a code with another status than the
// table's (a 403 for AUTHORIZATION_ERROR over plain HTTP, a 429 for a lockout) and returns e.
func (e *Error) WithStatus(status int) *Error {
	e.HTTPStatus = status
	return e
}

// Error returns "NAME - detail" (or NAME when there is no detail).
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Name
	}
	return e.Name + " - " + e.Detail
}

// Is matches another *Error with the same code, so that
// errors.Is(err, skyerr.New(skyerr.TagNotFound, "")) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}
