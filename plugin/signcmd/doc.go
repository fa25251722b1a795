// Package signcmd adds the `facegate sign` command: a small curl-like
// client that sends one request signed with facegate's RFC 9421 profile
// (package httpsig), prints the response body, and checks the response
// signature: it exits non-zero when the server answers with an HTTP failure
// status or when the response signature does not verify.
//
//	facegate sign --key fg_live_... --secret-file secret.txt \
//	    [--cacert root.crt | --insecure] [-X POST] [-H 'Name: value'] \
//	    [-F field=value] [-F files=@photo.jpg] [-d 'a=b&c=d'] URL
//
// The secret comes from --secret-file or the FACEGATE_API_SECRET
// environment variable. --secret exists for scripts that have no other
// way, with a warning: command-line arguments are visible to other users
// through ps and /proc.
//
// The root package (facegate.go) blank-imports this package; init only
// registers the command.
package signcmd
