package deploy

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestPrometheusScrapesWhatTheProcessesServe checks that the prometheus
// service's targets are the api's HTTP port, the worker's METRICS_ADDR and the
// Temporal server's PROMETHEUS_ENDPOINT, as docker-compose.yml sets them.
func TestPrometheusScrapesWhatTheProcessesServe(t *testing.T) {
	doc := readComposeDoc(t)
	require.Contains(t, services(doc), "prometheus", "docker-compose.yml has no prometheus service")

	raw, err := os.ReadFile(filepath.Join(repoRoot, "internal/deploy/prometheus/prometheus.yml"))
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		assert.Equal(t, "/metrics", sc.MetricsPath, sc.JobName)
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}

	port := func(addr string) string {
		_, p, err := net.SplitHostPort(addr)
		require.NoError(t, err, addr)
		return p
	}
	apiEnv := env(doc, "api")
	workerEnv := env(doc, "worker")
	temporalEnv := env(doc, "temporal")
	// The api inherits the shared block through a YAML merge key.
	apiAddr, _ := apiEnv["HTTP_ADDR"].(string)
	if apiAddr == "" {
		apiAddr = mergedValue(t, apiEnv, "HTTP_ADDR")
	}
	metricsAddr, _ := workerEnv["METRICS_ADDR"].(string)
	require.NotEmpty(t, metricsAddr, "the worker must set METRICS_ADDR, or it serves no metrics")
	promEndpoint, _ := temporalEnv["PROMETHEUS_ENDPOINT"].(string)
	require.NotEmpty(t, promEndpoint, "the temporal service must set PROMETHEUS_ENDPOINT")

	for _, want := range []string{"api:" + port(apiAddr), "worker:" + port(metricsAddr), "temporal:" + port(promEndpoint)} {
		assert.True(t, slices.Contains(targets, want), "prometheus does not scrape %s (targets %v)", want, targets)
	}
}

// mergedValue reads key from a map that got it through "<<".
func mergedValue(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	if base, ok := m["<<"].(map[string]any); ok {
		if v, ok := base[key].(string); ok {
			return v
		}
	}
	t.Fatalf("no %s in %v", key, m)
	return ""
}
