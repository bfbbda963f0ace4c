// Package document holds document metadata, their content through a blob port, and their
// expiry: a document is VALID, EXPIRING_SOON (within a configurable window of its expiry) or
// EXPIRED, and a sweeper moves stored statuses across those as time passes.
package document
