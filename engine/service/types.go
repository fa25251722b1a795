package service

import "context"

// Point is a landmark in percent of the original image, with SkyBiometry's point id.
type Point struct {
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	Confidence int     `json:"confidence"`
	ID         int     `json:"id"`
}

// Attribute is one face attribute; Value is always a string ("true", "male").
type Attribute struct {
	Value      string `json:"value"`
	Confidence int    `json:"confidence"`
}

// Face is one detected face as the Analyzer reports it. Coordinates are percent of the
// original image; Descriptor is the 128-D face descriptor (nil when not computed).
type Face struct {
	CenterX, CenterY, Width, Height float64
	Roll, Yaw, Pitch                float64
	Confidence                      int
	Recognizable                    bool
	EyeLeft, EyeRight, Nose, Mouth  Point
	Attributes                      map[string]Attribute
	Points                          []Point   // 68 points when asked, else nil
	Descriptor                      []float32 // 128 values or nil
	// Sharpness is the detail of the aligned descriptor chip (faceapi.Sharpness), one of
	// the face-quality gate's inputs; 0 when no descriptor was computed.
	Sharpness float64 `json:",omitempty"`
}

// Analyzed is the analysis of one image: its size in pixels and its faces.
type Analyzed struct {
	Width, Height int
	Faces         []Face
}

// AnalyzeOptions selects what the Analyzer computes.
type AnalyzeOptions struct {
	Detector   string   // "normal" or "aggressive"
	Attributes []string // "all", "none" or attribute names; empty = the analyzer's default
	AllPoints  bool     // detect_all_feature_points
	Describe   bool     // compute descriptors
}

// Analyzer detects and describes faces. Undecodable images return an error wrapping
// ErrImageDecode.
type Analyzer interface {
	Analyze(ctx context.Context, data []byte, opt AnalyzeOptions) (*Analyzed, error)
}

// Fetcher downloads an image given by URL; its errors are *skyerr.Error with codes 30..36.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// File is an uploaded image.
type File struct {
	Name string
	Data []byte
}

// Request is one API call, already authenticated and authorised by the guard.
type Request struct {
	Method string // e.g. "faces/detect"
	Owner  string // owner of the calling key
	KeyID  string
	// Namespaces are the namespaces the calling key may use, all of them owned by Owner;
	// "*" stands for every namespace of Owner. Nothing in a namespace outside this list is
	// read, listed or changed, however the request reaches it (uids, pids, tids, urls,
	// uploads). The zero value allows no namespace.
	Namespaces []string
	Params     map[string]string
	Files      []File
	// Usage is the caller's current usage, filled by the plugin for account/limits.
	Usage *Usage
}

// Usage is SkyBiometry's usage block; account/limits adds the namespace counters.
type Usage struct {
	Used               int    `json:"used"`
	Remaining          int    `json:"remaining"`
	Limit              int    `json:"limit"`
	ResetTime          int64  `json:"reset_time"`
	ResetTimeText      string `json:"reset_time_text"`
	NamespaceLimit     *int   `json:"namespace_limit,omitempty"`
	NamespaceUsed      *int   `json:"namespace_used,omitempty"`
	NamespaceRemaining *int   `json:"namespace_remaining,omitempty"`
}

// Response is the JSON body of every method; fields a method does not use are omitted.
type Response struct {
	Status        string              `json:"status"`
	Photos        []Photo             `json:"photos,omitempty"`
	Groups        []Group             `json:"groups,omitempty"`
	SavedTags     []SavedTag          `json:"saved_tags,omitempty"`
	RemovedTags   []RemovedTag        `json:"removed_tags,omitempty"`
	Message       string              `json:"message,omitempty"`
	NoTrainingSet *[]UserStatus       `json:"no_training_set,omitempty"`
	Created       *[]UserStatus       `json:"created,omitempty"`
	Updated       *[]UserStatus       `json:"updated,omitempty"`
	Unchanged     *[]UserStatus       `json:"unchanged,omitempty"`
	InProgress    *[]UserStatus       `json:"in_progress,omitempty"`
	UserStatuses  *[]UserStatus       `json:"user_statuses,omitempty"`
	Authenticated *bool               `json:"authenticated,omitempty"`
	Users         map[string][]string `json:"users,omitempty"`
	Namespaces    *[]Namespace        `json:"namespaces,omitempty"`
	Erased        *Erased             `json:"erased,omitempty"`
	Usage         *Usage              `json:"usage,omitempty"`
	OperationID   string              `json:"operation_id"`
	ErrorCode     int                 `json:"error_code,omitempty"`
	ErrorMessage  string              `json:"error_message,omitempty"`
}

// Erased is the answer of extensions/erase: the uids and namespaces erased.
type Erased struct {
	UIDs       []string `json:"uids"`
	Namespaces []string `json:"namespaces"`
}

// Photo is one processed image of a response.
type Photo struct {
	URL          string `json:"url"`
	PID          string `json:"pid"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Tags         []Tag  `json:"tags"`
	ErrorCode    int    `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// Tag is one face of a photo, in SkyBiometry's field order.
type Tag struct {
	TID          string               `json:"tid"`
	Recognizable bool                 `json:"recognizable"`
	UIDs         []UIDMatch           `json:"uids"`
	Threshold    *int                 `json:"threshold,omitempty"`
	Label        *string              `json:"label"`
	Confirmed    bool                 `json:"confirmed"`
	Manual       bool                 `json:"manual"`
	Width        float64              `json:"width"`
	Height       float64              `json:"height"`
	Yaw          float64              `json:"yaw"`
	Roll         float64              `json:"roll"`
	Pitch        float64              `json:"pitch"`
	Center       Center               `json:"center"`
	EyeLeft      *Point               `json:"eye_left,omitempty"`
	EyeRight     *Point               `json:"eye_right,omitempty"`
	MouthCenter  *Point               `json:"mouth_center,omitempty"`
	Nose         *Point               `json:"nose,omitempty"`
	Attributes   map[string]Attribute `json:"attributes"`
	Points       []Point              `json:"points"`
	Similarities []Similarity         `json:"similarities"`
}

// Center is a tag's centre in percent.
type Center struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// UIDMatch is a recognition candidate.
type UIDMatch struct {
	UID        string `json:"uid"`
	Confidence int    `json:"confidence"`
}

// Similarity is returned by faces/group with return_similarities: how similar another tag
// of the request is (0-100).
type Similarity struct {
	TID        string `json:"tid"`
	Similarity int    `json:"similarity"`
}

// Group is one faces/group cluster; ungrouped tags have neither GID nor UID.
type Group struct {
	GID  *int     `json:"gid,omitempty"`
	UID  string   `json:"uid,omitempty"`
	TIDs []string `json:"tids"`
}

// SavedTag maps a temporary tid to its saved tid (tags/save).
type SavedTag struct {
	DetectedTID string `json:"detected_tid"`
	TID         string `json:"tid"`
}

// RemovedTag names a removed tid (tags/remove).
type RemovedTag struct {
	RemovedTID string `json:"removed_tid"`
}

// UserStatus is a uid's training state (faces/train, faces/status).
type UserStatus struct {
	UID                string `json:"uid"`
	TrainingSetSize    int    `json:"training_set_size"`
	LastTrained        int64  `json:"last_trained"`
	TrainingInProgress bool   `json:"training_in_progress"`
}

// Namespace describes one namespace of the caller (account/namespaces).
type Namespace struct {
	Name      string `json:"name"`
	Size      int    `json:"size"`
	ShareMode string `json:"share_mode"`
	Owner     bool   `json:"owner"`
}
