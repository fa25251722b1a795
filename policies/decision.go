package policies

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/facegate/facegate/engine/skyerr"
)

// Decision is the policy's answer for one request.
type Decision struct {
	// Allow is true when the request may proceed.
	Allow bool `json:"allow"`
	// Status is the HTTP status to answer with when denied (200 when allowed).
	Status int `json:"status"`
	// ErrorCode is the SkyBiometry error code (0 when allowed), one of
	// skyerr's: the gateway answers with its name and Detail.
	ErrorCode int `json:"error_code"`
	// Detail is the text after the error's name in SkyBiometry's
	// error_message ("" when allowed).
	Detail string `json:"detail"`
	// Reason is a short machine string for logs ("ok", "scope_missing").
	Reason string `json:"reason"`
	// Limits are the limits to charge for an allowed request.
	Limits []Limit `json:"limits"`
}

// Limit is one limit the guard charges. Kind "rate" uses Rate tokens per
// PerS seconds with Burst; "concurrency" allows Count requests in flight;
// "quota" allows Count units per PerS-second window and this request costs
// Cost units.
type Limit struct {
	Name  string  `json:"name"`
	Kind  string  `json:"kind"`
	Rate  float64 `json:"rate"`
	PerS  float64 `json:"per_s"`
	Burst int     `json:"burst"`
	Count int     `json:"count"`
	Cost  int     `json:"cost"`
}

// Reasons the decider itself can give.
const (
	// ReasonPolicyError is the reason of a fail-closed decision.
	ReasonPolicyError = "policy_error"
)

// failClosed is the decision when the policy cannot answer.
func failClosed() Decision {
	return Decision{
		Status:    skyerr.Status(skyerr.Internal),
		ErrorCode: skyerr.Internal,
		Detail:    "policy evaluation failed",
		Reason:    ReasonPolicyError,
	}
}

var errMalformed = errors.New("malformed decision")

// decisionFromTerm converts data.facegate.decision into a Decision,
// rejecting anything that does not have the contract's shape.
func decisionFromTerm(t *ast.Term) (Decision, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return Decision{}, fmt.Errorf("%w: not an object", errMalformed)
	}
	var d Decision
	av, err := field(obj, "allow")
	if err != nil {
		return Decision{}, err
	}
	allow, ok := av.(ast.Boolean)
	if !ok {
		return Decision{}, fmt.Errorf("%w: allow is not a boolean", errMalformed)
	}
	d.Allow = bool(allow)
	if d.Status, err = intField(obj, "status"); err != nil {
		return Decision{}, err
	}
	if d.ErrorCode, err = intField(obj, "error_code"); err != nil {
		return Decision{}, err
	}
	if d.Detail, err = detailField(obj, d.ErrorCode); err != nil {
		return Decision{}, err
	}
	if d.Reason, err = stringField(obj, "reason"); err != nil {
		return Decision{}, err
	}
	if d.Limits, err = limitsField(obj); err != nil {
		return Decision{}, err
	}
	if d.Allow && d.Status != 200 || !d.Allow && (d.Status < 400 || d.ErrorCode == 0) {
		return Decision{}, fmt.Errorf("%w: inconsistent allow %t, status %d, error_code %d", errMalformed, d.Allow, d.Status, d.ErrorCode)
	}
	if !d.Allow && !skyerr.Known(d.ErrorCode) {
		return Decision{}, fmt.Errorf("%w: error_code %d is not a SkyBiometry error code", errMalformed, d.ErrorCode)
	}
	return d, nil
}

// detailField is the decision's detail. Policy sets written before detail
// existed answer error_message "NAME - detail" instead: it is understood when
// NAME is the name of error_code (the detail is what follows " - ") and
// refused as malformed otherwise, so that the client never sees a name that
// does not match the code.
func detailField(obj ast.Object, code int) (string, error) {
	if optionalField(obj, "detail") != nil || optionalField(obj, "error_message") == nil {
		return stringField(obj, "detail")
	}
	msg, err := stringField(obj, "error_message")
	if err != nil {
		return "", err
	}
	name := skyerr.Name(code)
	if msg == name {
		return "", nil
	}
	if detail, ok := strings.CutPrefix(msg, name+" - "); ok && name != "" {
		return detail, nil
	}
	return "", fmt.Errorf("%w: error_message does not start with %q, the name of error_code %d (answer detail instead)", errMalformed, name, code)
}

func field(obj ast.Object, name string) (ast.Value, error) {
	t := obj.Get(stringTerm(name))
	if t == nil {
		return nil, fmt.Errorf("%w: %s missing", errMalformed, name)
	}
	return t.Value, nil
}

func optionalField(obj ast.Object, name string) ast.Value {
	if t := obj.Get(stringTerm(name)); t != nil {
		return t.Value
	}
	return nil
}

func intField(obj ast.Object, name string) (int, error) {
	v, err := field(obj, name)
	if err != nil {
		return 0, err
	}
	n, ok := v.(ast.Number)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a number", errMalformed, name)
	}
	i, ok := n.Int()
	if !ok {
		return 0, fmt.Errorf("%w: %s is not an integer", errMalformed, name)
	}
	return i, nil
}

func stringField(obj ast.Object, name string) (string, error) {
	v, err := field(obj, name)
	if err != nil {
		return "", err
	}
	s, ok := v.(ast.String)
	if !ok {
		return "", fmt.Errorf("%w: %s is not a string", errMalformed, name)
	}
	return string(s), nil
}

func limitsField(obj ast.Object) ([]Limit, error) {
	v, err := field(obj, "limits")
	if err != nil {
		return nil, err
	}
	arr, ok := v.(*ast.Array)
	if !ok {
		return nil, fmt.Errorf("%w: limits is not an array", errMalformed)
	}
	limits := make([]Limit, 0, arr.Len())
	for i := range arr.Len() {
		lo, ok := arr.Elem(i).Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("%w: limit %d is not an object", errMalformed, i)
		}
		l, err := limitFromObject(lo)
		if err != nil {
			return nil, fmt.Errorf("limit %d: %w", i, err)
		}
		limits = append(limits, l)
	}
	return limits, nil
}

func limitFromObject(obj ast.Object) (Limit, error) {
	var l Limit
	var err error
	if l.Name, err = stringField(obj, "name"); err != nil {
		return Limit{}, err
	}
	if l.Kind, err = stringField(obj, "kind"); err != nil {
		return Limit{}, err
	}
	if l.Rate, err = optionalFloat(obj, "rate"); err != nil {
		return Limit{}, err
	}
	if l.PerS, err = optionalFloat(obj, "per_s"); err != nil {
		return Limit{}, err
	}
	if l.Burst, err = optionalInt(obj, "burst"); err != nil {
		return Limit{}, err
	}
	if l.Count, err = optionalInt(obj, "count"); err != nil {
		return Limit{}, err
	}
	if l.Cost, err = optionalInt(obj, "cost"); err != nil {
		return Limit{}, err
	}
	return l, nil
}

// optionalFloat is the number field name, 0 when absent.
func optionalFloat(obj ast.Object, name string) (float64, error) {
	v := optionalField(obj, name)
	if v == nil {
		return 0, nil
	}
	n, ok := v.(ast.Number)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a number", errMalformed, name)
	}
	f, ok := n.Float64()
	if !ok {
		return 0, fmt.Errorf("%w: %s is out of range", errMalformed, name)
	}
	return f, nil
}

// optionalInt is the integer field name, 0 when absent.
func optionalInt(obj ast.Object, name string) (int, error) {
	if optionalField(obj, name) == nil {
		return 0, nil
	}
	return intField(obj, name)
}

// String renders the decision as JSON for logs (it holds no secret).
func (d Decision) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Sprintf("decision(%s)", err)
	}
	return string(b)
}
