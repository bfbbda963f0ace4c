package main

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/apikey/apikeytest"
	keymem "github.com/workspaceops/workspaceops/modules/apikey/memory"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/auditlog/auditlogtest"
	auditmem "github.com/workspaceops/workspaceops/modules/auditlog/memory"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/documenttest"
	docmem "github.com/workspaceops/workspaceops/modules/document/memory"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/idempotency/idempotencytest"
	idemmem "github.com/workspaceops/workspaceops/modules/idempotency/memory"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/identitytest"
	idmem "github.com/workspaceops/workspaceops/modules/identity/memory"
	"github.com/workspaceops/workspaceops/modules/webhook"
	hookmem "github.com/workspaceops/workspaceops/modules/webhook/memory"
	"github.com/workspaceops/workspaceops/modules/webhook/webhooktest"
	"github.com/workspaceops/workspaceops/modules/workitem"
	itemmem "github.com/workspaceops/workspaceops/modules/workitem/memory"
	"github.com/workspaceops/workspaceops/modules/workitem/workitemtest"
	"github.com/workspaceops/workspaceops/modules/workspace"
	wsmem "github.com/workspaceops/workspaceops/modules/workspace/memory"
	"github.com/workspaceops/workspaceops/modules/workspace/workspacetest"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// lowerInitials lowercases a name's leading capitals: Update -> update, IDsLinkedTo ->
// idsLinkedTo.
func lowerInitials(name string) string {
	n := strings.IndexFunc(name, unicode.IsLower)
	if n < 1 {
		return strings.ToLower(name)
	}
	return strings.ToLower(name[:n]) + name[n:]
}

// recordedOps remembers the operations observed.
type recordedOps struct {
	mu  sync.Mutex
	ops map[string]int
}

func (r *recordedOps) Observe(op string, _ time.Duration, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops[op]++
}

// TestEveryRepositoryCallIsObserved runs every repository contract suite through the observing
// decorators (over the memory fakes: the decorators wrap the port, whichever store is behind
// it) and checks, by reflection over the port interfaces, that each method of each port was
// observed under its own name: a method added to a port without its line in storeobserve.go
// fails here (or does not compile).
func TestEveryRepositoryCallIsObserved(t *testing.T) {
	rec := &recordedOps{ops: map[string]int{}}
	o := storeObserver{tracer: observe.NoTracer{}, ops: rec}
	wrap := func() *Store {
		return observed(&Store{
			Users: idmem.NewUsers(), Workspaces: wsmem.NewStore(), WorkItems: itemmem.NewStore(),
			Documents: docmem.NewStore(), Blobs: docmem.NewBlobs(), AuditLog: auditmem.NewStore(),
			Redemptions: realtime.NewMemoryRedemptions(10), APIKeys: keymem.NewKeys(),
			Idempotency: idemmem.NewRecords(), Webhooks: hookmem.NewStore(),
		}, o)
	}
	t.Run("users", func(t *testing.T) {
		identitytest.RepositoryContract(t, func(*testing.T) identity.Repository { return wrap().Users })
	})
	t.Run("workspaces", func(t *testing.T) {
		workspacetest.RepositoryContract(t, func(*testing.T) workspace.Repository { return wrap().Workspaces })
	})
	t.Run("workItems", func(t *testing.T) {
		workitemtest.RepositoryContract(t, func(*testing.T) workitem.Repository { return wrap().WorkItems })
	})
	t.Run("documents", func(t *testing.T) {
		documenttest.RepositoryContract(t, func(*testing.T) document.Repository { return wrap().Documents })
	})
	t.Run("blobs", func(t *testing.T) {
		documenttest.BlobStoreContract(t, func(*testing.T) document.BlobStore { return wrap().Blobs })
	})
	t.Run("auditLog", func(t *testing.T) {
		auditlogtest.RepositoryContract(t, func(*testing.T) auditlog.Repository { return wrap().AuditLog })
	})
	t.Run("apiKeys", func(t *testing.T) {
		apikeytest.RepositoryContract(t, func(*testing.T) apikey.Repository { return wrap().APIKeys })
	})
	t.Run("idempotency", func(t *testing.T) {
		idempotencytest.RepositoryContract(t, func(*testing.T) idempotency.Repository { return wrap().Idempotency })
	})
	t.Run("webhooks", func(t *testing.T) {
		webhooktest.RepositoryContract(t, func(*testing.T) webhook.Repository { return wrap().Webhooks })
	})
	if _, err := wrap().Redemptions.Redeem(context.Background(), "t1", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Every port of Store, by its field: the op names are <field>.<method>.
	var want []string
	st := reflect.TypeFor[Store]()
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Interface {
			continue // Ready is a function, not a repository
		}
		prefix := lowerInitials(f.Name)
		for j := range f.Type.NumMethod() {
			m := f.Type.Method(j).Name
			want = append(want, prefix+"."+lowerInitials(m))
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, op := range want {
		if rec.ops[op] == 0 {
			t.Errorf("%s was never observed: its decorator method is missing its observe line, or names it otherwise", op)
		}
	}
	for op := range rec.ops {
		if !slices.Contains(want, op) {
			t.Errorf("%s was observed but is no port method: names must be <Store field>.<method>", op)
		}
	}
	if len(want) < 40 {
		t.Fatalf("only %d port methods found: the reflection is not looking at the ports", len(want))
	}
}
