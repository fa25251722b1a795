package service

import (
	"context"
	"sort"

	"github.com/facegate/facegate/engine/skyerr"
)

// authenticate implements account/authenticate: the guard already authenticated the caller.
func (s *Service) authenticate(ctx context.Context, req *Request) (*Response, error) {
	ok := true
	return &Response{Authenticated: &ok}, nil
}

// limits implements account/limits: the caller's usage (from the plugin) plus namespace
// counters, all inside the usage block as the Python client expects.
func (s *Service) limits(ctx context.Context, req *Request) (*Response, error) {
	u := Usage{}
	if req.Usage != nil {
		u = *req.Usage
	}
	if s.opts.NamespaceLimit > 0 {
		used := len(s.ownerNamespaces(req.Owner))
		limit, remaining := s.opts.NamespaceLimit, max(0, s.opts.NamespaceLimit-used)
		u.NamespaceLimit, u.NamespaceUsed, u.NamespaceRemaining = &limit, &used, &remaining
	}
	return &Response{Usage: &u}, nil
}

func (s *Service) ownerNamespaces(owner string) []string {
	if s.opts.Namespaces == nil || owner == "" {
		return nil
	}
	var out []string
	for _, ns := range s.opts.Namespaces(owner) {
		if o, ok := s.opts.NamespaceOwner(ns); ok && o == owner {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// users implements account/users: uids with saved tags per requested namespace.
func (s *Service) users(ctx context.Context, req *Request) (*Response, error) {
	nss, err := s.list(req, "namespaces")
	if err != nil {
		return nil, err
	}
	if len(nss) == 0 {
		return nil, skyerr.New(skyerr.MissingArgs, "namespaces is required")
	}
	out := map[string][]string{}
	for _, ns := range nss {
		if err := s.checkNamespace(req, ns); err != nil {
			return nil, err
		}
		users, e := s.nsUsers(ns)
		if e != nil {
			return nil, e
		}
		if users == nil {
			users = []string{}
		}
		out[ns] = users
	}
	return &Response{Users: out}, nil
}

// namespaces implements account/namespaces: the namespaces the calling key may use, with
// their user counts (the owner's other namespaces are not named).
func (s *Service) namespaces(ctx context.Context, req *Request) (*Response, error) {
	list := []Namespace{}
	for _, ns := range s.ownerNamespaces(req.Owner) {
		if !s.mayUse(req, ns) {
			continue
		}
		users, err := s.nsUsers(ns)
		if err != nil {
			return nil, err
		}
		list = append(list, Namespace{Name: ns, Size: len(users), ShareMode: "Private", Owner: true})
	}
	return &Response{Namespaces: &list}, nil
}
