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

// NewError returns the SkyBiometry error for code with a detail; unknown codes become 107.
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

// Constructors for every SkyBiometry error code of SKYBIOMETRY.md §1.4.
func ErrImgDecode(detail string, args ...any) *Error        { return NewError(20, detail, args...) }
func ErrImgResize(detail string, args ...any) *Error        { return NewError(21, detail, args...) }
func ErrDownload(detail string, args ...any) *Error         { return NewError(30, detail, args...) }
func ErrDownloadNotFound(detail string, args ...any) *Error { return NewError(31, detail, args...) }
func ErrDownloadTimeout(detail string, args ...any) *Error  { return NewError(32, detail, args...) }
func ErrDownloadTooLarge(detail string, args ...any) *Error { return NewError(33, detail, args...) }
func ErrMalformedURL(detail string, args ...any) *Error     { return NewError(34, detail, args...) }
func ErrUnknownHost(detail string, args ...any) *Error      { return NewError(35, detail, args...) }
func ErrConnRefused(detail string, args ...any) *Error      { return NewError(36, detail, args...) }
func ErrInternal(detail string, args ...any) *Error         { return NewError(104, detail, args...) }
func ErrUnavailable(detail string, args ...any) *Error      { return NewError(105, detail, args...) }
func ErrUnknown(detail string, args ...any) *Error          { return NewError(107, detail, args...) }
func ErrAPIKey(detail string, args ...any) *Error           { return NewError(201, detail, args...) }
func ErrQuota(detail string, args ...any) *Error            { return NewError(202, detail, args...) }
func ErrConcurrency(detail string, args ...any) *Error      { return NewError(203, detail, args...) }
func ErrNotAuthenticated(detail string, args ...any) *Error { return NewError(204, detail, args...) }
func ErrPassword(detail string, args ...any) *Error         { return NewError(205, detail, args...) }
func ErrTooManyUIDs(detail string, args ...any) *Error      { return NewError(206, detail, args...) }
func ErrTooManyErrors(detail string, args ...any) *Error    { return NewError(207, detail, args...) }
func ErrTagNotFound(detail string, args ...any) *Error      { return NewError(301, detail, args...) }
func ErrFilterSyntax(detail string, args ...any) *Error     { return NewError(303, detail, args...) }
func ErrAuthorization(detail string, args ...any) *Error    { return NewError(304, detail, args...) }
func ErrTagExists(detail string, args ...any) *Error        { return NewError(306, detail, args...) }
func ErrNotPermitted(detail string, args ...any) *Error     { return NewError(307, detail, args...) }
func ErrUnknownMethod(detail string, args ...any) *Error    { return NewError(401, detail, args...) }
func ErrMissingArgs(detail string, args ...any) *Error      { return NewError(402, detail, args...) }
func ErrMissingNS(detail string, args ...any) *Error        { return NewError(403, detail, args...) }
func ErrNamespace(detail string, args ...any) *Error        { return NewError(404, detail, args...) }
func ErrUID(detail string, args ...any) *Error              { return NewError(405, detail, args...) }
func ErrInvalidArgs(detail string, args ...any) *Error      { return NewError(406, detail, args...) }
func ErrListTooLong(detail string, args ...any) *Error      { return NewError(407, detail, args...) }
func ErrCallbackDomain(detail string, args ...any) *Error   { return NewError(408, detail, args...) }
func ErrUIDTooLong(detail string, args ...any) *Error       { return NewError(409, detail, args...) }
func ErrRequestTooBig(detail string, args ...any) *Error    { return NewError(410, detail, args...) }

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
