// Package service implements the SkyBiometry Face Detection and Recognition API methods
// (faces/*, tags/*, account/*) without HTTP: the facegate_api handler parses an HTTP request
// into a Request, calls Service.Call and JSON-encodes the Response.
//
// Face analysis (detection, landmarks, attributes, descriptors) is behind the Analyzer
// interface, image download behind Fetcher, so the package is tested with fakes. State lives
// in an encrypted store.Store (key schema in README.md) and trained templates in an
// index.Index kept in sync with every committed write. Image bytes are never stored: a photo
// record keeps only its url and size, tags keep their geometry and descriptor.
//
// It owns the methods' semantics, facegate's extensions/erase included, their argument
// checks (Check) and what counts as an image of a call (Images); the error codes they fail
// with are engine/skyerr's, and who may call what is decided before, by the gateway.
package service
