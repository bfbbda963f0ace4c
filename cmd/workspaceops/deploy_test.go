package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/workspaceops/workspaceops/platform/config"
)

// TestClusterDeploymentMatchesTheService keeps deploy/cluster honest (it cannot be brought up
// here: no image registry): every instance's environment is a configuration the service
// accepts, nginx balances over exactly the instances, and the one proxy the instances trust is
// nginx's address.
func TestClusterDeploymentMatchesTheService(t *testing.T) {
	compose := readCompose(t)
	var instances []string
	for name, svc := range compose.Services {
		if !svc.instance() {
			continue
		}
		instances = append(instances, name)
		env := map[string]string{}
		for k, v := range svc.Environment {
			known := slices.ContainsFunc(config.Vars, func(cv config.Var) bool { return cv.Name == k })
			if !known {
				t.Errorf("%s sets %s, which the service does not read", name, k)
			}
			env[k] = interpolate(v)
		}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s's environment is refused: %v", name, err)
			continue
		}
		if cfg.NATSURL == "" || !strings.Contains(cfg.MongoURI, "replicaSet=") {
			t.Errorf("%s: want NATS and a replica set, got %q and %q", name, cfg.NATSURL, cfg.MongoURI)
		}
	}
	if len(instances) < 2 {
		t.Fatalf("instances %v: the cluster needs several", instances)
	}

	raw, err := os.ReadFile("../../deploy/cluster/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`#[^\n]*`).ReplaceAllString(string(raw), "") // comments say nothing to nginx
	var upstream []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server (\w+):4000\b`).FindAllStringSubmatch(conf, -1) {
		upstream = append(upstream, m[1])
	}
	slices.Sort(instances)
	slices.Sort(upstream)
	if !slices.Equal(instances, upstream) {
		t.Errorf("nginx balances over %v, the compose file runs %v", upstream, instances)
	}

	// Every location that sets its own proxy headers must set the forwarding ones again (nginx
	// inherits none then): the handshake's same-origin check and the logs need them.
	for _, loc := range regexp.MustCompile(`(?s)location [^{]*\{[^}]*\}`).FindAllString(conf, -1) {
		if !strings.Contains(loc, "proxy_set_header") {
			continue
		}
		for _, h := range []string{"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Id"} {
			if !strings.Contains(loc, "proxy_set_header "+h+" ") {
				t.Errorf("nginx location %.30q sets headers but not %s", loc, h)
			}
		}
	}

	var nginxAddr string
	if n := compose.Services["nginx"].Networks; n.Kind == yaml.MappingNode {
		var nets map[string]struct {
			IPv4 string `yaml:"ipv4_address"`
		}
		if err := n.Decode(&nets); err == nil {
			nginxAddr = nets["backend"].IPv4
		}
	}
	for _, name := range instances {
		if got := compose.Services[name].Environment["WSO_TRUSTED_PROXIES"]; got == "" || got != nginxAddr {
			t.Errorf("%s trusts %q as proxy; nginx is at %q", name, got, nginxAddr)
		}
	}
}

// interpolate expands compose's ${NAME:-default} to the default and ${NAME:?message} (a value
// the operator must give) to a 32-byte test value.
func interpolate(v string) string {
	return regexp.MustCompile(`\$\{\w+(:-([^}]*)|:\?[^}]*)\}`).ReplaceAllStringFunc(v, func(m string) string {
		if _, def, ok := strings.Cut(m, ":-"); ok {
			return strings.TrimSuffix(def, "}")
		}
		return strings.Repeat("s", 32)
	})
}

// composeFile is what the tests read of deploy/cluster/docker-compose.yml.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Networks    yaml.Node         `yaml:"networks"`
}

// instance reports a WorkspaceOps server of the cluster.
func (s composeService) instance() bool {
	return s.Image == "workspaceops:local" && slices.Equal(s.Command, []string{"serve"})
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/cluster/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
