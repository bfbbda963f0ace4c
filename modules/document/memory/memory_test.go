package memory_test

import (
	"testing"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/documenttest"
	"github.com/workspaceops/workspaceops/modules/document/memory"
)

func TestStoreContract(t *testing.T) {
	documenttest.RepositoryContract(t, func(*testing.T) document.Repository { return memory.NewStore() })
}

func TestBlobsContract(t *testing.T) {
	documenttest.BlobStoreContract(t, func(*testing.T) document.BlobStore { return memory.NewBlobs() })
}
