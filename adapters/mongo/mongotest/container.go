package mongotest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// providerName names the testcontainers runtime registered below.
const providerName = "wso-host-network"

// hostNetworkRuntime is a testcontainers runtime for a Docker engine that has no bridge network
// (dockerd --bridge=none, see .ci/docker.sh). Without it testcontainers v0.45 finds no `bridge`,
// creates its own bridge network (reaper_default, a private subnet) and attaches every
// container to it, host networking or not. Naming `host` as the default bridge makes it attach
// nothing, and publishing on 127.0.0.1 keeps Host() from answering a gateway address.
type hostNetworkRuntime struct{}

func (hostNetworkRuntime) Initialize(context.Context) (testcontainers.RuntimeConfig, error) {
	return testcontainers.RuntimeConfig{DefaultBridgeNetwork: "host", PublishedHost: "127.0.0.1"}, nil
}

// startContainer starts the server container with host networking on a free loopback port and
// returns its URI and a function that removes it and checks no network was left behind.
func startContainer(ctx context.Context) (string, func() error, error) {
	if err := configureTestcontainers(); err != nil {
		return "", nil, err
	}
	addr, port, err := freeLoopbackAddr()
	if err != nil {
		return "", nil, err
	}

	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
	}
	image := os.Getenv("WSO_TEST_MONGO_IMAGE")
	if image == "" {
		dir, err := devstoreBuildContext(ctx)
		if err != nil {
			return "", nil, err
		}
		// The context is only read while the image builds, inside Run.
		defer os.RemoveAll(dir)
		opts = append(opts,
			testcontainers.WithDockerfile(testcontainers.FromDockerfile{
				Context: dir,
				Repo:    "workspaceops-devstore", // tagged with a random UUID, removed on Terminate
			}),
			testcontainers.WithEnv(map[string]string{"WSO_DEVSTORE_ADDR": addr}),
			testcontainers.WithWaitStrategy(wait.ForLog("devstore listening").WithStartupTimeout(time.Minute)),
		)
	} else {
		// A real mongod, for CI that can pull images; it logs this line once it accepts connections.
		opts = append(opts,
			testcontainers.WithCmd("--bind_ip", "127.0.0.1", "--port", port),
			testcontainers.WithWaitStrategy(wait.ForLog("Waiting for connections").WithStartupTimeout(3*time.Minute)),
		)
	}

	ctr, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		// Run hands back a half-started container so it can still be removed.
		return "", nil, errors.Join(fmt.Errorf("start container: %w", err),
			testcontainers.TerminateContainer(ctr), checkNetworks(ctx))
	}
	stop := func() error {
		// ctx may have expired during a long test run; teardown gets its own deadline.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return errors.Join(testcontainers.TerminateContainer(ctr), checkNetworks(ctx))
	}
	return "mongodb://" + addr + "/", stop, nil
}

// configureTestcontainers applies the settings this suite needs unless the environment already
// chose otherwise. It must run before testcontainers reads its configuration, which it does
// once per process.
func configureTestcontainers() error {
	defaults := map[string]string{
		// Ryuk is an image to pull, and these machines reach no registry; Terminate cleans up.
		"TESTCONTAINERS_RYUK_DISABLED": "true",
		// Inside a container (/.dockerenv) Host() would otherwise answer a gateway address.
		"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
		"TESTCONTAINERS_PROVIDER":      providerName,
	}
	for k, v := range defaults {
		if _, ok := os.LookupEnv(k); ok {
			continue
		}
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("set %s: %w", k, err)
		}
	}
	err := testcontainers.RegisterProvider(providerName, func() testcontainers.RuntimeProvider {
		return hostNetworkRuntime{}
	})
	if err != nil {
		return fmt.Errorf("register testcontainers provider: %w", err)
	}
	return nil
}

// checkNetworks fails when the engine has any network besides host and none: one would mean
// testcontainers attached containers to a private bridge subnet, which these tests must not use.
func checkNetworks(ctx context.Context) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("check networks: docker client: %w", err)
	}
	defer cli.Close()
	res, err := cli.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		return fmt.Errorf("check networks: list: %w", err)
	}
	var extra []string
	for _, n := range res.Items {
		if n.Name != "host" && n.Name != "none" {
			extra = append(extra, n.Name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("docker networks other than host and none exist: %v (remove them; tests must stay on host networking)", extra)
	}
	return nil
}

// devstoreBuildContext builds a static cmd/devstore for the engine's platform into a fresh
// directory together with deploy/devstore.Dockerfile and the empty folder the image copies to
// create its directories. The caller removes the directory.
func devstoreBuildContext(ctx context.Context) (dir string, err error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir, err = os.MkdirTemp("", "devstore-image-*")
	if err != nil {
		return "", fmt.Errorf("devstore image: temp dir: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()

	// CGO_ENABLED=0 makes the binary static, which a FROM-scratch image needs; the engine runs
	// Linux on this machine's architecture (Docker Desktop included).
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(dir, "devstore"), "./cmd/devstore")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("devstore image: go build ./cmd/devstore: %w\n%s", err, out)
	}

	dockerfile, err := os.ReadFile(filepath.Join(root, "deploy", "devstore.Dockerfile"))
	if err != nil {
		return "", fmt.Errorf("devstore image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return "", fmt.Errorf("devstore image: write Dockerfile: %w", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		return "", fmt.Errorf("devstore image: %w", err)
	}
	return dir, nil
}

// repoRoot walks up from the working directory (the package directory under go test) to the
// directory holding go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("find repo root: no go.mod above %s", wd)
		}
	}
}

// freeLoopbackAddr asks the kernel for a free port on 127.0.0.1. The container binds it a
// moment later; with host networking there is no port mapping to let Docker choose instead.
func freeLoopbackAddr() (addr, port string, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("pick a loopback port: %w", err)
	}
	addr = l.Addr().String()
	if err := l.Close(); err != nil {
		return "", "", fmt.Errorf("pick a loopback port: %w", err)
	}
	_, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("pick a loopback port: %w", err)
	}
	return addr, port, nil
}
