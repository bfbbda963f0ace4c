// Package sqlite is the embedded default store: every repository and store port of the modules
// and of the realtime layer, on one SQLite database file (modernc.org/sqlite, pure Go, no cgo).
//
// Layout: real columns for everything that is filtered, sorted or counted, an index for every
// query the package issues (a test runs EXPLAIN QUERY PLAN on each and fails on a scan), JSON
// only for what is never queried (an audit entry's data, the ordered copies of a work item's
// tags and links, whose queried form lives in side tables). Times are Unix milliseconds.
// Documents' content is kept as files beside the database (see Blobs), recorded in it once
// complete; figures that would count rows (the overview's) are kept by triggers.
//
// Concurrency: SQLite has one writer. Writes go through one connection (so they queue in Go
// rather than spin on SQLITE_BUSY) and every multi-statement write is one transaction; reads go
// through a small pool and see the last committed state (WAL). Compare-and-set writes are single
// UPDATE statements conditional on the version read. One process owns a data directory: Open
// takes an exclusive lock on a file beside the database and refuses a second process.
package sqlite
