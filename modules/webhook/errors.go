package webhook

import "github.com/workspaceops/workspaceops/platform/apperr"

// The module's errors.
var (
	ErrNotFound         = apperr.New(apperr.NotFound, "webhook_not_found", "no such webhook in this workspace")
	ErrDeliveryNotFound = apperr.New(apperr.NotFound, "delivery_not_found", "no such delivery of this webhook in the last 7 days")
	ErrConflict         = apperr.New(apperr.Conflict, "webhook_conflict", "the webhook changed concurrently; retry")
	ErrTooMany          = apperr.New(apperr.Conflict, "webhook_limit_reached", "this workspace has the most webhooks allowed; delete one first")
	ErrDestination      = apperr.New(apperr.Invalid, "webhook_destination_refused", "the webhook URL resolves to an address webhooks may not reach (loopback, private, link-local, multicast or unspecified)")
)
