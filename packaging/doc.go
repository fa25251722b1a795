// Package packaging holds how facegate is installed: a hardened systemd
// unit (facegate.service), a multi-stage container build (Containerfile)
// and a compose example (compose.yaml). Its tests check them with the tools
// the machine has (systemd-analyze, a container engine) and skip, saying
// why, when a tool is missing.
package packaging
