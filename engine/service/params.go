package service

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
)

// nameRE is what uid names and namespaces may contain (they become parts of store keys).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.+\-]+$`)

// maxNameLen bounds uid names and namespaces (error 409 UID_TOO_LONG beyond).
const maxNameLen = 64

// maxLabelLen bounds tag labels.
const maxLabelLen = 256

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Service) list(req *Request, name string) ([]string, *skyerr.Error) {
	l := splitList(req.Params[name])
	if len(l) > s.opts.MaxList {
		return nil, skyerr.New(skyerr.ListTooLong, "%s has %d items, at most %d allowed", name, len(l), s.opts.MaxList)
	}
	return l, nil
}

func param(req *Request, name string) string { return strings.TrimSpace(req.Params[name]) }

func boolParam(req *Request, name string, def bool) (bool, *skyerr.Error) {
	switch strings.ToLower(param(req, name)) {
	case "":
		return def, nil
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, skyerr.New(skyerr.InvalidArgs, "%s must be true or false", name)
}

func intParam(req *Request, name string, def, lo, hi int) (int, *skyerr.Error) {
	v := param(req, name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, skyerr.New(skyerr.InvalidArgs, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func percentParam(req *Request, name string) (float64, *skyerr.Error) {
	v := param(req, name)
	if v == "" {
		return 0, skyerr.New(skyerr.MissingArgs, "%s is required", name)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 100 || f != f {
		return 0, skyerr.New(skyerr.InvalidArgs, "%s must be a number from 0 to 100", name)
	}
	return f, nil
}

// uidRef is a parsed uid "name@namespace".
type uidRef struct{ name, ns string }

func (u uidRef) String() string { return u.name + "@" + u.ns }

// validName checks a namespace or uid name.
func validName(what, n string) *skyerr.Error {
	if len(n) > maxNameLen {
		return skyerr.New(skyerr.UIDTooLong, "%s is longer than %d characters", what, maxNameLen)
	}
	if !nameRE.MatchString(n) {
		return skyerr.New(skyerr.InvalidArgs, "%s %q may only contain letters, digits and _ . + -", what, truncate(n, maxNameLen))
	}
	return nil
}

// parseUID parses "name@ns" or "name" with the default namespace defNS.
func parseUID(raw, defNS string) (uidRef, *skyerr.Error) {
	name, ns, found := strings.Cut(raw, "@")
	if !found || ns == "" {
		ns = defNS
	}
	if ns == "" {
		return uidRef{}, skyerr.New(skyerr.MissingNS, "uid %q has no namespace and no namespace parameter was given", truncate(raw, 2*maxNameLen))
	}
	if err := validName("uid", name); err != nil {
		return uidRef{}, err
	}
	if err := validName("namespace", ns); err != nil {
		return uidRef{}, err
	}
	return uidRef{name: name, ns: ns}, nil
}

// checkNamespace verifies that ns is registered to the caller (defence in depth behind the
// guard's policy).
func (s *Service) checkNamespace(req *Request, ns string) *skyerr.Error {
	if err := validName("namespace", ns); err != nil {
		return err
	}
	if !s.mayUse(req, ns) {
		return skyerr.New(skyerr.Namespace, "namespace %s is not yours", ns)
	}
	return nil
}

// mayUse reports whether the caller may see and change data of namespace ns: its owner
// owns ns and ns is one of the calling key's namespaces (or the key has "*").
func (s *Service) mayUse(req *Request, ns string) bool {
	if req.Owner == "" {
		return false
	}
	if owner, ok := s.opts.NamespaceOwner(ns); !ok || owner != req.Owner {
		return false
	}
	return slices.Contains(req.Namespaces, "*") || slices.Contains(req.Namespaces, ns)
}

// uidsParam parses the uids parameter. all reports uids=all (whole namespace).
func (s *Service) uidsParam(req *Request, required bool) (uids []uidRef, all bool, err *skyerr.Error) {
	raw, err := s.list(req, "uids")
	if err != nil {
		return nil, false, err
	}
	if len(raw) == 0 {
		if required {
			return nil, false, skyerr.New(skyerr.MissingArgs, "uids is required")
		}
		return nil, false, nil
	}
	defNS := param(req, "namespace")
	if len(raw) == 1 && strings.EqualFold(raw[0], "all") {
		if defNS == "" {
			return nil, false, skyerr.New(skyerr.MissingNS, "uids=all needs a namespace")
		}
		if err := s.checkNamespace(req, defNS); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}
	seen := map[uidRef]bool{}
	for _, r := range raw {
		u, err := parseUID(r, defNS)
		if err != nil {
			return nil, false, err
		}
		if err := s.checkNamespace(req, u.ns); err != nil {
			return nil, false, err
		}
		if !seen[u] {
			seen[u] = true
			uids = append(uids, u)
		}
	}
	return uids, false, nil
}
