package realtime

import (
	"slices"
	"sync"
)

// userRooms are the rooms user:{id}: every WebSocket session of a user, which hears the
// membership events about that user whatever workspaces it joined. They also count each user's
// SSE streams (in no user room: a stream serves one workspace) against the per-user limit.
type userRooms struct {
	max int // sessions per user, both transports

	mu      sync.RWMutex
	members map[string]map[*session]struct{}
	streams map[string]int
}

func newUserRooms(max int) *userRooms {
	return &userRooms{max: max, members: map[string]map[*session]struct{}{}, streams: map[string]int{}}
}

// add counts a session of uid against the limit, putting it in the user's room unless it is a
// stream; it reports false when the user is at the limit.
func (u *userRooms) add(s *session, uid string, stream bool) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	set := u.members[uid]
	if len(set)+u.streams[uid] >= u.max {
		return false
	}
	if stream {
		u.streams[uid]++
		return true
	}
	if set == nil {
		set = map[*session]struct{}{}
		u.members[uid] = set
	}
	set[s] = struct{}{}
	return true
}

// remove gives back what add took.
func (u *userRooms) remove(s *session, uid string, stream bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if stream {
		if u.streams[uid]--; u.streams[uid] <= 0 {
			delete(u.streams, uid)
		}
		return
	}
	if set := u.members[uid]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(u.members, uid)
		}
	}
}

// send queues f for every session of uid not already served by the workspace's room (inRoom)
// or evicted from it (skip). It never blocks: a full outbox closes its connection.
func (u *userRooms) send(uid string, f frame, inRoom map[*session]*sub, skip []*session) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for s := range u.members[uid] {
		if _, ok := inRoom[s]; ok || slices.Contains(skip, s) {
			continue
		}
		s.out.enqueue(f)
	}
}

// count returns how many users have a session in a user room.
func (u *userRooms) count() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.members)
}
