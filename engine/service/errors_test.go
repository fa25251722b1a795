package service

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestErrors(t *testing.T) {
	tests := []struct {
		err    *Error
		code   int
		msg    string
		status int
	}{
		{ErrMissingArgs("urls or files required"), 402, "MISSING_ARGUMENTS - urls or files required", http.StatusBadRequest},
		{ErrAPIKey("invalid api key"), 201, "API_KEY_DOES_NOT_EXIST - invalid api key", http.StatusUnauthorized},
		{ErrUnknownMethod(""), 401, "UNKNWOWN_REST_METHOD", http.StatusNotFound},
		{ErrNamespace("namespace %s is not yours", "x"), 404, "UNAUTHORIZED_USER_NAMESPACE - namespace x is not yours", http.StatusForbidden},
		{ErrQuota("q"), 202, "API_KEY_USAGE_PASSED_QUOTA - q", http.StatusTooManyRequests},
		{ErrDownloadTooLarge("big"), 33, "DOWNLOAD_ERROR_FILE_TOO_LARGE - big", http.StatusRequestEntityTooLarge},
		{ErrMissingArgs("100% sure"), 402, "MISSING_ARGUMENTS - 100% sure", http.StatusBadRequest},
		{NewError(999, "x"), 107, "UNKNOWN_ERROR - x", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			if tt.err.Code != tt.code || tt.err.Error() != tt.msg || tt.err.HTTPStatus != tt.status {
				t.Fatalf("got %d %q %d", tt.err.Code, tt.err.Error(), tt.err.HTTPStatus)
			}
		})
	}
	for code := range errorDefs {
		if e := NewError(code, ""); e.Code != code || e.Name == "" || e.HTTPStatus < 400 {
			t.Errorf("code %d: %+v", code, e)
		}
	}
	t.Run("Is and asError", func(t *testing.T) {
		wrapped := fmt.Errorf("saving: %w", ErrTagNotFound("gone"))
		if !errors.Is(wrapped, ErrTagNotFound("")) || errors.Is(wrapped, ErrMissingArgs("")) {
			t.Fatal("errors.Is does not match by code")
		}
		if asError(wrapped).Code != 301 {
			t.Fatal("asError lost the code")
		}
		if e := asError(fmt.Errorf("decode: %w", ErrImageDecode)); e.Code != 20 {
			t.Fatalf("image decode mapped to %d", e.Code)
		}
		if e := asError(errors.New("disk on fire at /secret/path")); e.Code != 104 || e.Detail != "internal error" {
			t.Fatalf("internal error leaks: %+v", e)
		}
	})
}
