package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBodyBytes caps every request body of the admin API.
const MaxBodyBytes = 64 << 10

// errBody marks a request body that could not be decoded (400), errParam
// an invalid query or path parameter (400).
var (
	errBody  = errors.New("invalid request body")
	errParam = errors.New("invalid parameter")
)

// decodeBody decodes the JSON body of r into v, strictly: at most
// MaxBodyBytes, no unknown fields, exactly one JSON value. An empty body
// leaves v unchanged when optional is true.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			if optional {
				return nil
			}
			return fmt.Errorf("%w: a JSON object is required", errBody)
		case errors.As(err, &mbe):
			return fmt.Errorf("%w: larger than %d bytes", errBody, MaxBodyBytes)
		case errors.As(err, &ute):
			return fmt.Errorf("%w: field %q must be %s", errBody, ute.Field, ute.Type)
		case errors.As(err, &se):
			return fmt.Errorf("%w: malformed JSON at byte %d", errBody, se.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: truncated JSON", errBody)
		}
		// Unknown fields and other decoder errors name the field, not data.
		return fmt.Errorf("%w: %v", errBody, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON object", errBody)
	}
	return nil
}
