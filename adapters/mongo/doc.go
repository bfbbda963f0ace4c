// Package mongo stores the modules' data in MongoDB or the embedded MongoDB-compatible store
// (FerretDB on SQLite): it implements identity.Repository (Users) and workspace.Repository
// (Workspaces), connects (DB) and creates the indexes (EnsureIndexes).
//
// Every repository method is one single-document operation, or a documented sequence of them
// ordered so that a crash in between leaves nothing a reader trips over: neither store has
// multi-document transactions. Compare-and-set methods put the expected state in the filter of
// one update (findOneAndUpdate or updateOne) or delete. Uniqueness (emails, one membership per
// user per workspace, one invitation per email per workspace) is enforced by unique indexes,
// never by a read first.
// The embedded store does not isolate an update's read from its write, so conditional writes
// also take an in-process per-document lock (see docLocks); a real MongoDB does not need it.
//
// Documents are this package's own structs with camelCase bson tags, kept apart from the
// domain types so a rename in the domain cannot silently change what is stored. Driver errors
// never escape as such: "no document" and "duplicate key" become the modules' errors, anything
// else is wrapped with what was being done.
package mongo
