// Package idempotency makes a retried creating request safe: the first request sent with an
// Idempotency-Key runs, and the same key sent again by the same principal with the same
// request within the retention gets the first answer replayed instead of a second creation.
//
// Records live in the database (Repository), so a restart or another instance gives the same
// answer; a key is claimed by inserting its record, which the database's unique key refuses to
// a concurrent second request.
package idempotency
