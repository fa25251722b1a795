package service

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a SkyBiometry error: a numeric code, its NAME, a detail and the HTTP status the
// handler should answer with. Error() renders SkyBiometry's "NAME - detail" message.
type Error struct {
	Code       int
	Name       string
	Detail     string
	HTTPStatus int
}

// Error returns "NAME - detail" (or NAME when there is no detail).
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Name
	}
	return e.Name + " - " + e.Detail
}

// Is matches another *Error with the same code, so errors.Is(err, ErrTagNotFound("")) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrImageDecode is wrapped by Analyzer implementations for undecodable images (code 20).
var ErrImageDecode = errors.New("image cannot be decoded")

// errorDef describes one SkyBiometry error code.
type errorDef struct {
	name   string
	status int
}

var errorDefs = map[int]errorDef{
	20:  {"IMG_DECODE_ERROR", http.StatusBadRequest},
	21:  {"IMG_RESIZE_ERROR", http.StatusBadRequest},
	30:  {"DOWNLOAD_ERROR", http.StatusBadRequest},
	31:  {"DOWNLOAD_ERROR_FILE_NOT_FOUND", http.StatusBadRequest},
	32:  {"DOWNLOAD_ERROR_SERVER_TIMEOUT", http.StatusBadRequest},
	33:  {"DOWNLOAD_ERROR_FILE_TOO_LARGE", http.StatusRequestEntityTooLarge},
	34:  {"DOWNLOAD_ERROR_MALFORMED_URL", http.StatusBadRequest},
	35:  {"DOWNLOAD_ERROR_UNKNOWN_HOST", http.StatusBadRequest},
	36:  {"DOWNLOAD_ERROR_CONNECTION_REFUSED", http.StatusBadRequest},
	104: {"INTERNAL_ERROR", http.StatusInternalServerError},
	105: {"SERVICE_TEMPORARILY_UNAVAILABLE", http.StatusServiceUnavailable},
	107: {"UNKNOWN_ERROR", http.StatusInternalServerError},
	201: {"API_KEY_DOES_NOT_EXIST", http.StatusUnauthorized},
	202: {"API_KEY_USAGE_PASSED_QUOTA", http.StatusTooManyRequests},
	203: {"API_KEY_CONCURRENT_USAGE_PASSED_QUOTA", http.StatusTooManyRequests},
	204: {"API_KEY_NOT_AUTHENTICATED", http.StatusUnauthorized},
	205: {"API_PASSWORD_NOT_CORRECT", http.StatusUnauthorized},
	206: {"MAX_NUMBERS_OF_UIDS_TRAINED_IN_NAMESPACE_EXCEEDED", http.StatusForbidden},
	207: {"TOO_MANY_ERRORS", http.StatusBadRequest},
	301: {"TAG_NOT_FOUND", http.StatusNotFound},
	303: {"FILTER_SYNTAX_ERROR", http.StatusBadRequest},
	304: {"AUTHORIZATION_ERROR", http.StatusForbidden},
	306: {"TAG_ALREADY_EXIST", http.StatusConflict},
	307: {"ACTION_NOT_PERMITTED", http.StatusForbidden},
	401: {"UNKNWOWN_REST_METHOD", http.StatusNotFound},
	402: {"MISSING_ARGUMENTS", http.StatusBadRequest},
	403: {"MISSING_USER_NAMESPACE", http.StatusBadRequest},
	404: {"UNAUTHORIZED_USER_NAMESPACE", http.StatusForbidden},
	405: {"UNAUTHORIZED_UID", http.StatusForbidden},
	406: {"INVALID_ARGUMENTS_VALUE", http.StatusBadRequest},
	407: {"ARGUMENT_LIST_TOO_LONG", http.StatusBadRequest},
	408: {"UNAUTHORIZED_CALLBACK_URL_DOMAIN", http.StatusForbidden},
	409: {"UID_TOO_LONG", http.StatusBadRequest},
	410: {"SYNCHRONOUS_REQUEST_TOO_BIG", http.StatusRequestEntityTooLarge},
}

// NewError returns the SkyBiometry error for code with a detail (formatted with args when
// given); unknown codes become 107. The constructors below exist for every code of
// SKYBIOMETRY.md §1.4.
func NewError(code int, detail string, args ...any) *Error {
	d, ok := errorDefs[code]
	if !ok {
		code, d = 107, errorDefs[107]
	}
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &Error{Code: code, Name: d.name, Detail: detail, HTTPStatus: d.status}
}

// ErrImgDecode returns error 20 IMG_DECODE_ERROR.
func ErrImgDecode(detail string, args ...any) *Error { return NewError(20, detail, args...) }

// ErrImgResize returns error 21 IMG_RESIZE_ERROR.
func ErrImgResize(detail string, args ...any) *Error { return NewError(21, detail, args...) }

// ErrDownload returns error 30 DOWNLOAD_ERROR.
func ErrDownload(detail string, args ...any) *Error { return NewError(30, detail, args...) }

// ErrDownloadNotFound returns error 31 DOWNLOAD_ERROR_FILE_NOT_FOUND.
func ErrDownloadNotFound(detail string, args ...any) *Error { return NewError(31, detail, args...) }

// ErrDownloadTimeout returns error 32 DOWNLOAD_ERROR_SERVER_TIMEOUT.
func ErrDownloadTimeout(detail string, args ...any) *Error { return NewError(32, detail, args...) }

// ErrDownloadTooLarge returns error 33 DOWNLOAD_ERROR_FILE_TOO_LARGE.
func ErrDownloadTooLarge(detail string, args ...any) *Error { return NewError(33, detail, args...) }

// ErrMalformedURL returns error 34 DOWNLOAD_ERROR_MALFORMED_URL.
func ErrMalformedURL(detail string, args ...any) *Error { return NewError(34, detail, args...) }

// ErrUnknownHost returns error 35 DOWNLOAD_ERROR_UNKNOWN_HOST.
func ErrUnknownHost(detail string, args ...any) *Error { return NewError(35, detail, args...) }

// ErrConnRefused returns error 36 DOWNLOAD_ERROR_CONNECTION_REFUSED.
func ErrConnRefused(detail string, args ...any) *Error { return NewError(36, detail, args...) }

// ErrInternal returns error 104 INTERNAL_ERROR.
func ErrInternal(detail string, args ...any) *Error { return NewError(104, detail, args...) }

// ErrUnavailable returns error 105 SERVICE_TEMPORARILY_UNAVAILABLE.
func ErrUnavailable(detail string, args ...any) *Error { return NewError(105, detail, args...) }

// ErrUnknown returns error 107 UNKNOWN_ERROR.
func ErrUnknown(detail string, args ...any) *Error { return NewError(107, detail, args...) }

// ErrAPIKey returns error 201 API_KEY_DOES_NOT_EXIST.
func ErrAPIKey(detail string, args ...any) *Error { return NewError(201, detail, args...) }

// ErrQuota returns error 202 API_KEY_USAGE_PASSED_QUOTA.
func ErrQuota(detail string, args ...any) *Error { return NewError(202, detail, args...) }

// ErrConcurrency returns error 203 API_KEY_CONCURRENT_USAGE_PASSED_QUOTA.
func ErrConcurrency(detail string, args ...any) *Error { return NewError(203, detail, args...) }

// ErrNotAuthenticated returns error 204 API_KEY_NOT_AUTHENTICATED.
func ErrNotAuthenticated(detail string, args ...any) *Error { return NewError(204, detail, args...) }

// ErrPassword returns error 205 API_PASSWORD_NOT_CORRECT.
func ErrPassword(detail string, args ...any) *Error { return NewError(205, detail, args...) }

// ErrTooManyUIDs returns error 206 MAX_NUMBERS_OF_UIDS_TRAINED_IN_NAMESPACE_EXCEEDED.
func ErrTooManyUIDs(detail string, args ...any) *Error { return NewError(206, detail, args...) }

// ErrTooManyErrors returns error 207 TOO_MANY_ERRORS.
func ErrTooManyErrors(detail string, args ...any) *Error { return NewError(207, detail, args...) }

// ErrTagNotFound returns error 301 TAG_NOT_FOUND.
func ErrTagNotFound(detail string, args ...any) *Error { return NewError(301, detail, args...) }

// ErrFilterSyntax returns error 303 FILTER_SYNTAX_ERROR.
func ErrFilterSyntax(detail string, args ...any) *Error { return NewError(303, detail, args...) }

// ErrAuthorization returns error 304 AUTHORIZATION_ERROR.
func ErrAuthorization(detail string, args ...any) *Error { return NewError(304, detail, args...) }

// ErrTagExists returns error 306 TAG_ALREADY_EXIST.
func ErrTagExists(detail string, args ...any) *Error { return NewError(306, detail, args...) }

// ErrNotPermitted returns error 307 ACTION_NOT_PERMITTED.
func ErrNotPermitted(detail string, args ...any) *Error { return NewError(307, detail, args...) }

// ErrUnknownMethod returns error 401 UNKNWOWN_REST_METHOD.
func ErrUnknownMethod(detail string, args ...any) *Error { return NewError(401, detail, args...) }

// ErrMissingArgs returns error 402 MISSING_ARGUMENTS.
func ErrMissingArgs(detail string, args ...any) *Error { return NewError(402, detail, args...) }

// ErrMissingNS returns error 403 MISSING_USER_NAMESPACE.
func ErrMissingNS(detail string, args ...any) *Error { return NewError(403, detail, args...) }

// ErrNamespace returns error 404 UNAUTHORIZED_USER_NAMESPACE.
func ErrNamespace(detail string, args ...any) *Error { return NewError(404, detail, args...) }

// ErrUID returns error 405 UNAUTHORIZED_UID.
func ErrUID(detail string, args ...any) *Error { return NewError(405, detail, args...) }

// ErrInvalidArgs returns error 406 INVALID_ARGUMENTS_VALUE.
func ErrInvalidArgs(detail string, args ...any) *Error { return NewError(406, detail, args...) }

// ErrListTooLong returns error 407 ARGUMENT_LIST_TOO_LONG.
func ErrListTooLong(detail string, args ...any) *Error { return NewError(407, detail, args...) }

// ErrCallbackDomain returns error 408 UNAUTHORIZED_CALLBACK_URL_DOMAIN.
func ErrCallbackDomain(detail string, args ...any) *Error { return NewError(408, detail, args...) }

// ErrUIDTooLong returns error 409 UID_TOO_LONG.
func ErrUIDTooLong(detail string, args ...any) *Error { return NewError(409, detail, args...) }

// ErrRequestTooBig returns error 410 SYNCHRONOUS_REQUEST_TOO_BIG.
func ErrRequestTooBig(detail string, args ...any) *Error { return NewError(410, detail, args...) }

// asError converts any error into an *Error: *Error values pass through, ErrImageDecode
// becomes 20, anything else an internal error whose detail does not leak internals.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrImageDecode) {
		return ErrImgDecode("image cannot be decoded")
	}
	return ErrInternal("internal error")
}
