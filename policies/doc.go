// Package policies holds facegate's authorization policies and parameter
// schemas, and the Go code that evaluates them.
//
// Go computes facts, Rego decides: the guard fills an [Input] (request,
// key record, verified credentials, schema validation result), and a
// [Decider] evaluates data.facegate.decision (for the shipped decision
// contract, its deny sets in rank order up to the first denial nothing
// later outranks), answering a [Decision] (allow or the SkyBiometry error
// to return, and the rate, concurrency and quota limits to charge). Any
// evaluation error fails closed with 500 / 104 INTERNAL_ERROR.
//
// The Rego policies live in facegate/ (one package per concern: routes,
// keys, auth, scopes, namespaces, schema, limits) and the JSON Schemas of
// every API method in schemas/. Both are embedded in the binary; operators
// can write them out with [EmbeddedFS], edit them and point [Options.Dir]
// (and [NewValidator]) at the copy. [Decider.Watch] reloads edited policies
// and keeps serving the last good version when an edit fails to compile.
//
// Decisions are memoized, allowed and denied, on exactly what the loaded
// policy set reads of the input, found from its compiled rules when it is
// loaded (shipped or edited alike); policies/README.md says how.
//
// It owns the decision contract (Input, Decision) and the policies; the
// error codes a decision names are engine/skyerr's (a leaf of codes, names
// and statuses, checked against the Rego errors module by a test). Beyond
// that leaf, this package knows nothing of Caddy or the face engine.
package policies
