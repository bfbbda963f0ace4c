// Package webhook is the webhooks module: a workspace's subscriptions to its own audit log,
// delivered as signed HTTP POSTs in seq order, at least once, from a cursor persisted with each
// webhook (the last delivered seq), so deliveries survive restarts and can be replayed from any
// seq.
//
// The Service holds the use cases of the REST API (create, list, change, delete, the deliveries
// log, redeliver, replay). The Dispatcher moves each active webhook's cursor: it reads the log
// after the cursor through the Log port, sends the next matching entry through the Sender port,
// and advances only after a 2xx; a failure holds the webhook's later entries and is retried on
// the configured schedule, after whose last try the webhook is deactivated. One instance at a
// time delivers a given webhook: the one holding its lease, a compare-and-set on the stored
// webhook with an expiry, taken over when its holder stops renewing it.
package webhook
