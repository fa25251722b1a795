package skyerr

import "sort"

// SkyBiometry error codes (docs/api.md, Error codes).
const (
	ImgDecode        = 20  // IMG_DECODE_ERROR
	ImgResize        = 21  // IMG_RESIZE_ERROR
	Download         = 30  // DOWNLOAD_ERROR
	DownloadNotFound = 31  // DOWNLOAD_ERROR_FILE_NOT_FOUND
	DownloadTimeout  = 32  // DOWNLOAD_ERROR_SERVER_TIMEOUT
	DownloadTooLarge = 33  // DOWNLOAD_ERROR_FILE_TOO_LARGE
	MalformedURL     = 34  // DOWNLOAD_ERROR_MALFORMED_URL
	UnknownHost      = 35  // DOWNLOAD_ERROR_UNKNOWN_HOST
	ConnRefused      = 36  // DOWNLOAD_ERROR_CONNECTION_REFUSED
	Internal         = 104 // INTERNAL_ERROR
	Unavailable      = 105 // SERVICE_TEMPORARILY_UNAVAILABLE
	Unknown          = 107 // UNKNOWN_ERROR
	APIKey           = 201 // API_KEY_DOES_NOT_EXIST (gateway only)
	Quota            = 202 // API_KEY_USAGE_PASSED_QUOTA (gateway only; also rate limits)
	Concurrency      = 203 // API_KEY_CONCURRENT_USAGE_PASSED_QUOTA (gateway only)
	NotAuthenticated = 204 // API_KEY_NOT_AUTHENTICATED (gateway only)
	Password         = 205 // API_PASSWORD_NOT_CORRECT (gateway only)
	TooManyUIDs      = 206 // MAX_NUMBERS_OF_UIDS_TRAINED_IN_NAMESPACE_EXCEEDED (gateway only)
	TooManyErrors    = 207 // TOO_MANY_ERRORS (gateway only)
	TagNotFound      = 301 // TAG_NOT_FOUND
	FilterSyntax     = 303 // FILTER_SYNTAX_ERROR
	Authorization    = 304 // AUTHORIZATION_ERROR
	TagExists        = 306 // TAG_ALREADY_EXIST
	NotPermitted     = 307 // ACTION_NOT_PERMITTED
	UnknownMethod    = 401 // UNKNWOWN_REST_METHOD (sic, as SkyBiometry spells it)
	MissingArgs      = 402 // MISSING_ARGUMENTS
	MissingNS        = 403 // MISSING_USER_NAMESPACE
	Namespace        = 404 // UNAUTHORIZED_USER_NAMESPACE
	UID              = 405 // UNAUTHORIZED_UID
	InvalidArgs      = 406 // INVALID_ARGUMENTS_VALUE
	ListTooLong      = 407 // ARGUMENT_LIST_TOO_LONG
	CallbackDomain   = 408 // UNAUTHORIZED_CALLBACK_URL_DOMAIN
	UIDTooLong       = 409 // UID_TOO_LONG
	RequestTooBig    = 410 // SYNCHRONOUS_REQUEST_TOO_BIG
)

// HTTP statuses the codes are answered with (net/http's values, without importing it).
const (
	StatusBadRequest          = 400
	StatusUnauthorized        = 401
	StatusForbidden           = 403
	StatusNotFound            = 404
	StatusConflict            = 409
	StatusTooLarge            = 413
	StatusTooManyRequests     = 429
	StatusInternalServerError = 500
	StatusServiceUnavailable  = 503
)

// entry is one code's name and HTTP status.
type entry struct {
	name   string
	status int
}

var table = map[int]entry{
	ImgDecode:        {"IMG_DECODE_ERROR", StatusBadRequest},
	ImgResize:        {"IMG_RESIZE_ERROR", StatusBadRequest},
	Download:         {"DOWNLOAD_ERROR", StatusBadRequest},
	DownloadNotFound: {"DOWNLOAD_ERROR_FILE_NOT_FOUND", StatusBadRequest},
	DownloadTimeout:  {"DOWNLOAD_ERROR_SERVER_TIMEOUT", StatusBadRequest},
	DownloadTooLarge: {"DOWNLOAD_ERROR_FILE_TOO_LARGE", StatusTooLarge},
	MalformedURL:     {"DOWNLOAD_ERROR_MALFORMED_URL", StatusBadRequest},
	UnknownHost:      {"DOWNLOAD_ERROR_UNKNOWN_HOST", StatusBadRequest},
	ConnRefused:      {"DOWNLOAD_ERROR_CONNECTION_REFUSED", StatusBadRequest},
	Internal:         {"INTERNAL_ERROR", StatusInternalServerError},
	Unavailable:      {"SERVICE_TEMPORARILY_UNAVAILABLE", StatusServiceUnavailable},
	Unknown:          {"UNKNOWN_ERROR", StatusInternalServerError},
	APIKey:           {"API_KEY_DOES_NOT_EXIST", StatusUnauthorized},
	Quota:            {"API_KEY_USAGE_PASSED_QUOTA", StatusTooManyRequests},
	Concurrency:      {"API_KEY_CONCURRENT_USAGE_PASSED_QUOTA", StatusTooManyRequests},
	NotAuthenticated: {"API_KEY_NOT_AUTHENTICATED", StatusUnauthorized},
	Password:         {"API_PASSWORD_NOT_CORRECT", StatusUnauthorized},
	TooManyUIDs:      {"MAX_NUMBERS_OF_UIDS_TRAINED_IN_NAMESPACE_EXCEEDED", StatusForbidden},
	TooManyErrors:    {"TOO_MANY_ERRORS", StatusBadRequest},
	TagNotFound:      {"TAG_NOT_FOUND", StatusNotFound},
	FilterSyntax:     {"FILTER_SYNTAX_ERROR", StatusBadRequest},
	Authorization:    {"AUTHORIZATION_ERROR", StatusForbidden},
	TagExists:        {"TAG_ALREADY_EXIST", StatusConflict},
	NotPermitted:     {"ACTION_NOT_PERMITTED", StatusForbidden},
	UnknownMethod:    {"UNKNWOWN_REST_METHOD", StatusNotFound},
	MissingArgs:      {"MISSING_ARGUMENTS", StatusBadRequest},
	MissingNS:        {"MISSING_USER_NAMESPACE", StatusBadRequest},
	Namespace:        {"UNAUTHORIZED_USER_NAMESPACE", StatusForbidden},
	UID:              {"UNAUTHORIZED_UID", StatusForbidden},
	InvalidArgs:      {"INVALID_ARGUMENTS_VALUE", StatusBadRequest},
	ListTooLong:      {"ARGUMENT_LIST_TOO_LONG", StatusBadRequest},
	CallbackDomain:   {"UNAUTHORIZED_CALLBACK_URL_DOMAIN", StatusForbidden},
	UIDTooLong:       {"UID_TOO_LONG", StatusBadRequest},
	RequestTooBig:    {"SYNCHRONOUS_REQUEST_TOO_BIG", StatusTooLarge},
}

// Known reports whether code is a SkyBiometry error code.
func Known(code int) bool {
	_, ok := table[code]
	return ok
}

// Name is the code's NAME ("API_KEY_USAGE_PASSED_QUOTA"), "" for an unknown code.
func Name(code int) string { return table[code].name }

// Status is the HTTP status a failure with this code is answered with, 0 for an unknown code.
func Status(code int) int { return table[code].status }

// Codes lists every known code in ascending order.
func Codes() []int {
	codes := make([]int, 0, len(table))
	for c := range table {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// IsAuthFailure reports whether a refusal with this code counts as a failed authentication
// (an unknown key or wrong credentials), which the gateway rate-limits per address.
func IsAuthFailure(code int) bool { return code == APIKey || code == NotAuthenticated }
