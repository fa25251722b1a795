package detect

// DataDir gives the external tests (package detect_test) the shared data directory.
var DataDir = dataDir
