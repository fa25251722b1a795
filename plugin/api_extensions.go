package plugin

import (
	"errors"
	"slices"
	"strings"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/engine/skyerr"
)

// extensionErase is the route of facegate's erasure call, beyond
// SkyBiometry's API (so its clients are unaffected):
//
//	POST /fc/extensions/erase  uids=<uid@ns,...>          delete these people: tags, templates, training
//	POST /fc/extensions/erase  namespace=<ns>&all=true    delete every face stored in the namespace
//
// Afterwards nothing of it can be recognised or read, and the search index
// no longer holds it. The guard's policies check scope and namespace
// ownership as for every other write.
const extensionErase = "extensions/erase"

// erasedResponse is the answer of extensions/erase.
type erasedResponse struct {
	Status      string         `json:"status"`
	Erased      erasedSet      `json:"erased"`
	Usage       *service.Usage `json:"usage,omitempty"`
	OperationID string         `json:"operation_id"`
}

type erasedSet struct {
	UIDs       []string `json:"uids"`
	Namespaces []string `json:"namespaces"`
}

// erase runs extensions/erase for an admitted call.
func (h *API) erase(st *state, adm *admitted) (*erasedResponse, *skyerr.Error) {
	p := adm.Request.Params
	out := &erasedResponse{Status: "success", Erased: erasedSet{UIDs: []string{}, Namespaces: []string{}}}
	uids, ns := strings.TrimSpace(p["uids"]), strings.TrimSpace(p["namespace"])
	switch {
	case uids != "":
		for _, uid := range strings.Split(uids, ",") {
			uid = strings.TrimSpace(uid)
			if uid == "" {
				continue
			}
			uidNS := ns
			if at := strings.LastIndexByte(uid, '@'); at >= 0 {
				uidNS = uid[at+1:]
			}
			if uidNS == "" {
				return nil, skyerr.New(skyerr.MissingNS, "uid %s has no namespace", uid)
			}
			if err := h.ownNamespace(st, adm, uidNS); err != nil {
				return nil, err
			}
			if err := st.service.DeleteUID(uidNS, uid); err != nil {
				return nil, asServiceError(err)
			}
			out.Erased.UIDs = append(out.Erased.UIDs, uid)
		}
	case ns != "" && p["all"] == "true":
		if err := h.ownNamespace(st, adm, ns); err != nil {
			return nil, err
		}
		if err := st.service.DeleteNamespace(ns); err != nil {
			return nil, asServiceError(err)
		}
		out.Erased.Namespaces = append(out.Erased.Namespaces, ns)
	default:
		return nil, skyerr.New(skyerr.MissingArgs, "uids, or namespace with all=true, required")
	}
	return out, nil
}

// ownNamespace re-checks, after the policy, that the caller's owner holds
// ns and that ns is one of the key's namespaces (defence in depth for a
// destructive call).
func (h *API) ownNamespace(st *state, adm *admitted, ns string) *skyerr.Error {
	owner, ok := st.keys.NamespaceOwner(ns)
	if !ok || owner != adm.Key.Owner || !(slices.Contains(adm.Key.Namespaces, "*") || slices.Contains(adm.Key.Namespaces, ns)) {
		return skyerr.New(skyerr.Namespace, "namespace %s is not yours", ns)
	}
	return nil
}

// asServiceError keeps SkyBiometry errors and hides anything else.
func asServiceError(err error) *skyerr.Error {
	var se *skyerr.Error
	if errors.As(err, &se) {
		return se
	}
	return internalError("erasure failed")
}
