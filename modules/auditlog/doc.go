// Package auditlog is the durable, ordered log of everything that happened in a workspace, and
// the event log the realtime layer replays from.
//
// It is the sink of every published event: it appends an Entry with the next per-workspace
// sequence number (gap-free, strictly increasing), then hands the stored entry to its
// receivers through the Broadcaster port: the realtime bus (optional), then the subscribers,
// such as the overview, which announces moved figures with an event of its own.
package auditlog
