package plugin

import (
	"context"

	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/plugin/keyring"
)

// guardCtxKey carries the guard's verdict to the handlers behind it.
type guardCtxKey struct{}

// admitted is what the guard hands to facegate_api for an allowed request.
type admitted struct {
	Key         keyring.Key
	Request     *fcRequest
	Usage       *service.Usage
	OperationID string
}

func withAdmitted(ctx context.Context, a *admitted) context.Context {
	return context.WithValue(ctx, guardCtxKey{}, a)
}

func admittedFrom(ctx context.Context) *admitted {
	a, _ := ctx.Value(guardCtxKey{}).(*admitted)
	return a
}
