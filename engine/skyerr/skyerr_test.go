package skyerr

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		err    *Error
		code   int
		msg    string
		status int
	}{
		{New(MissingArgs, "urls or files required"), 402, "MISSING_ARGUMENTS - urls or files required", 400},
		{New(APIKey, "invalid api key"), 201, "API_KEY_DOES_NOT_EXIST - invalid api key", 401},
		{New(UnknownMethod, ""), 401, "UNKNWOWN_REST_METHOD", 404},
		{New(Namespace, "namespace %s is not yours", "x"), 404, "UNAUTHORIZED_USER_NAMESPACE - namespace x is not yours", 403},
		{New(Quota, "q"), 202, "API_KEY_USAGE_PASSED_QUOTA - q", 429},
		{New(DownloadTooLarge, "big"), 33, "DOWNLOAD_ERROR_FILE_TOO_LARGE - big", 413},
		{New(MissingArgs, "100% sure"), 402, "MISSING_ARGUMENTS - 100% sure", 400},
		{New(999, "x"), 107, "UNKNOWN_ERROR - x", 500},
		{New(Authorization, "plain http").WithStatus(StatusForbidden), 304, "AUTHORIZATION_ERROR - plain http", 403},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			if tt.err.Code != tt.code || tt.err.Error() != tt.msg || tt.err.HTTPStatus != tt.status {
				t.Fatalf("got %d %q %d", tt.err.Code, tt.err.Error(), tt.err.HTTPStatus)
			}
		})
	}
}

func TestTable(t *testing.T) {
	upper := regexp.MustCompile(`^[A-Z_]+$`)
	codes := Codes()
	if len(codes) != 34 {
		t.Fatalf("%d codes, want the 34 of SkyBiometry (docs/api.md, Error codes)", len(codes))
	}
	for i, code := range codes {
		if i > 0 && codes[i-1] >= code {
			t.Fatalf("Codes not ascending at %d", code)
		}
		if !Known(code) || !upper.MatchString(Name(code)) || Status(code) < 400 || Status(code) > 599 {
			t.Errorf("code %d: name %q status %d", code, Name(code), Status(code))
		}
		if e := New(code, ""); e.Code != code || e.Name != Name(code) || e.HTTPStatus != Status(code) {
			t.Errorf("New(%d) = %+v", code, e)
		}
	}
	if Known(0) || Name(0) != "" || Status(0) != 0 || Known(200) {
		t.Error("unknown codes are known")
	}
	for _, code := range []int{APIKey, Quota, Concurrency, NotAuthenticated, Password, TooManyUIDs, TooManyErrors} {
		if code < 201 || code > 207 {
			t.Errorf("gateway code %d outside 201-207", code)
		}
	}
	if !IsAuthFailure(APIKey) || !IsAuthFailure(NotAuthenticated) || IsAuthFailure(Password) || IsAuthFailure(Quota) {
		t.Error("IsAuthFailure")
	}
}

func TestIs(t *testing.T) {
	wrapped := fmt.Errorf("saving: %w", New(TagNotFound, "gone"))
	if !errors.Is(wrapped, New(TagNotFound, "")) || errors.Is(wrapped, New(MissingArgs, "")) {
		t.Fatal("errors.Is does not match by code")
	}
	var e *Error
	if !errors.As(wrapped, &e) || e.Detail != "gone" {
		t.Fatalf("errors.As: %+v", e)
	}
}
