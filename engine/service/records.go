package service

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// Store key schema (see README.md). Names never contain '/', owners are path-escaped.
func photoKey(pid string) string             { return "photo/" + pid }
func ownerPhotoKey(owner, pid string) string { return "ophoto/" + url.PathEscape(owner) + "/" + pid }
func ownerPhotoPrefix(owner string) string   { return "ophoto/" + url.PathEscape(owner) + "/" }
func sourceKey(owner, source, pid string) string {
	return sourcePrefixOf(owner, source) + pid
}
func sourcePrefixOf(owner, source string) string {
	return "psrc/" + url.PathEscape(owner) + "/" + digest(source) + "/"
}
func sourcePrefix(owner string) string      { return "psrc/" + url.PathEscape(owner) + "/" }
func tempKey(tid string) string             { return "tmp/" + tid }
func ownerTempKey(owner, tid string) string { return "otmp/" + url.PathEscape(owner) + "/" + tid }
func ownerTempPrefix(owner string) string   { return "otmp/" + url.PathEscape(owner) + "/" }
func tagKey(u uidRef, tid string) string    { return "tag/" + u.ns + "/" + u.String() + "/" + tid }
func uidTagPrefix(u uidRef) string          { return "tag/" + u.ns + "/" + u.String() + "/" }
func nsTagPrefix(ns string) string          { return "tag/" + ns + "/" }
func tagRefKey(tid string) string           { return "tagref/" + tid }
func photoTagKey(pid, tid string) string    { return "ptag/" + pid + "/" + tid }
func photoTagPrefix(pid string) string      { return "ptag/" + pid + "/" }
func trainKey(u uidRef) string              { return "train/" + u.ns + "/" + u.String() }
func nsTrainPrefix(ns string) string        { return "train/" + ns + "/" }

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// photoRec is a processed image: no image bytes, only where it came from and its size.
type photoRec struct {
	PID     string `json:"pid"`
	Owner   string `json:"owner"`
	URL     string `json:"url"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Created int64  `json:"created"`
}

// tempRec is a temporary tag (24 h TTL) with its descriptor, waiting for tags/save.
type tempRec struct {
	TID     string `json:"tid"`
	PID     string `json:"pid"`
	Owner   string `json:"owner"`
	Face    Face   `json:"face"`
	Created int64  `json:"created"`
}

// tagRec is a saved (or manual) tag.
type tagRec struct {
	TID     string  `json:"tid"`
	PID     string  `json:"pid"`
	URL     string  `json:"url"`
	UID     string  `json:"uid"`
	Label   *string `json:"label"`
	Manual  bool    `json:"manual"`
	Face    Face    `json:"face"`
	Created int64   `json:"created"`
}

// tagRef finds a saved tag from its tid.
type tagRef struct {
	NS  string `json:"ns"`
	UID string `json:"uid"`
	PID string `json:"pid"`
}

// trainRec is a uid's training state: the tids whose descriptors are in the index, and
// the TemplateScheme that built its templates (0 in stores written before schemes).
type trainRec struct {
	UID         string   `json:"uid"`
	LastTrained int64    `json:"last_trained"`
	TIDs        []string `json:"tids"`
	Scheme      int      `json:"scheme,omitempty"`
}

func (r tagRef) uid() uidRef {
	name, _, _ := cutLast(r.UID)
	return uidRef{name: name, ns: r.NS}
}

func cutLast(uid string) (name, ns string, ok bool) {
	for i := len(uid) - 1; i >= 0; i-- {
		if uid[i] == '@' {
			return uid[:i], uid[i+1:], true
		}
	}
	return uid, "", false
}

// trainable reports whether a saved tag can be used for training.
func (t *tagRec) trainable() bool {
	return !t.Manual && t.Face.Recognizable && len(t.Face.Descriptor) == 128
}
