package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:4000" || c.MongoURI != "" || c.TokenTTL != time.Hour || c.InvitationTTL != 168*time.Hour ||
		len(c.AllowedOrigins) != 1 || c.AllowedOrigins[0] != "http://localhost:3000" || c.MaxBodyBytes != 1<<20 ||
		c.RateLimit.Limit != 600 || c.RateLimit.Window != time.Minute {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestRealMongoRequiresSecret(t *testing.T) {
	_, err := Load(env(map[string]string{"MONGO_URI": "mongodb://db:27017"}))
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("err = %v", err)
	}
	_, err = Load(env(map[string]string{"MONGO_URI": "mongodb://db:27017", "JWT_SECRET": strings.Repeat("k", 32)}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestRejectsBadValues(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"short secret":    {"JWT_SECRET": "short"},
		"wildcard origin": {"WSO_ALLOWED_ORIGINS": "*"},
		"path origin":     {"WSO_ALLOWED_ORIGINS": "http://a.example/app"},
		"bad duration":    {"WSO_TOKEN_TTL": "forever"},
		"negative body":   {"WSO_MAX_BODY_BYTES": "-1"},
		"bad addr":        {"WSO_ADDR": "4000"},
		"public pprof":    {"WSO_DEBUG_ADDR": "0.0.0.0:6060"},
		"named pprof":     {"WSO_DEBUG_ADDR": "localhost:6060"},
		"http nats":       {"WSO_NATS_URL": "http://nats:4222"},
		"hostless nats":   {"WSO_NATS_URL": "nats://"},
		"wildcard subj":   {"WSO_NATS_SUBJECT": "wso.*"},
		"empty token":     {"WSO_NATS_SUBJECT": "wso..audit"},
		"zero nats poll":  {"WSO_NATS_POLL": "0s"},
		"bad log level":   {"WSO_LOG_LEVEL": "verbose"},
		"bad log format":  {"WSO_LOG_FORMAT": "xml"},
		"bad rate":        {"WSO_RATE_LIMIT": "600"},
		"bad rate unit":   {"WSO_RATE_LIMIT": "600/day"},
		"bad retry":       {"WSO_WEBHOOK_RETRY": "30s,soon"},
		"negative retry":  {"WSO_WEBHOOK_RETRY": "-1s"},
		"bad allow http":  {"WSO_WEBHOOK_ALLOW_HTTP": "yes"},
		"zero hook lease": {"WSO_WEBHOOK_LEASE": "0s"},
	} {
		if _, err := Load(env(m)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestOriginsList(t *testing.T) {
	c, err := Load(env(map[string]string{"WSO_ALLOWED_ORIGINS": " http://localhost:3000/, https://app.example.com "}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowedOrigins) != 2 || c.AllowedOrigins[0] != "http://localhost:3000" || c.AllowedOrigins[1] != "https://app.example.com" {
		t.Fatalf("origins = %q", c.AllowedOrigins)
	}
}

func TestNATSSettings(t *testing.T) {
	c, err := Load(env(map[string]string{"WSO_NATS_URL": "nats://a:4222, tls://user:pw@b:4222", "WSO_NATS_SUBJECT": "acme-prod.audit"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.NATSURL != "nats://a:4222, tls://user:pw@b:4222" || c.NATSSubject != "acme-prod.audit" || c.NATSPoll != 2*time.Second {
		t.Fatalf("config = %+v", c)
	}
	_, err = Load(env(map[string]string{"WSO_NATS_URL": "http://user:secret-pw@b:4222"}))
	if err == nil || strings.Contains(err.Error(), "secret-pw") {
		t.Fatalf("a bad NATS URL must be refused without echoing its credentials: %v", err)
	}
}

func TestRateLimitOff(t *testing.T) {
	for _, v := range []string{"off", "0"} {
		c, err := Load(env(map[string]string{"WSO_RATE_LIMIT": v}))
		if err != nil || !c.RateLimit.Off() {
			t.Fatalf("WSO_RATE_LIMIT=%s: %+v, %v", v, c.RateLimit, err)
		}
	}
}

func TestWebhookSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookRetry) != 5 || c.WebhookRetry[0] != 30*time.Second || c.WebhookRetry[4] != time.Hour || c.WebhookAllowHTTP ||
		len(c.WebhookAllowedHosts) != 0 || c.WebhookMax != 20 {
		t.Fatalf("webhook defaults = %v %v %v %d", c.WebhookRetry, c.WebhookAllowHTTP, c.WebhookAllowedHosts, c.WebhookMax)
	}
	c, err = Load(env(map[string]string{"WSO_WEBHOOK_RETRY": "100ms, 200ms", "WSO_WEBHOOK_ALLOW_HTTP": "true", "WSO_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1, localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookRetry) != 2 || c.WebhookRetry[1] != 200*time.Millisecond || !c.WebhookAllowHTTP || len(c.WebhookAllowedHosts) != 2 {
		t.Fatalf("webhook settings = %v %v %v", c.WebhookRetry, c.WebhookAllowHTTP, c.WebhookAllowedHosts)
	}
}

func TestMetricsAddr(t *testing.T) {
	for _, tc := range []struct {
		value, addr string
		optional    bool
	}{
		{"", "127.0.0.1:9464", true},
		{"127.0.0.1:9464", "127.0.0.1:9464", false},
		{"0.0.0.0:9100", "0.0.0.0:9100", false},
		{"off", "", false},
	} {
		c, err := Load(env(map[string]string{"WSO_METRICS_ADDR": tc.value}))
		if err != nil || c.MetricsAddr != tc.addr || c.MetricsOptional != tc.optional {
			t.Errorf("WSO_METRICS_ADDR=%q: %q optional %v, %v", tc.value, c.MetricsAddr, c.MetricsOptional, err)
		}
	}
	if _, err := Load(env(map[string]string{"WSO_METRICS_ADDR": "9464"})); err == nil {
		t.Error("WSO_METRICS_ADDR=9464 (no host) accepted")
	}
}
