package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestPostgresInitMatchesCompose checks that the databases and roles the
// services connect with are the ones the postgres init script creates, and
// that the script's password variables are passed to the postgres service.
func TestPostgresInitMatchesCompose(t *testing.T) {
	sqlText, err := os.ReadFile(filepath.Join("postgres", "initdb", "10-create-databases.sql"))
	require.NoError(t, err)
	script := string(sqlText)
	c, err := parseCompose(readComposeDoc(t), testEnv)
	require.NoError(t, err)

	createsDB := func(db, owner string) bool {
		return regexp.MustCompile(`(?m)^CREATE DATABASE ` + regexp.QuoteMeta(db) + ` OWNER ` + regexp.QuoteMeta(owner) + `\b`).MatchString(script)
	}

	for _, role := range []string{"api", "worker"} {
		u, err := url.Parse(c.Services[role].Environment["DATABASE_URL"])
		require.NoError(t, err)
		db := u.Path[1:]
		assert.True(t, createsDB(db, u.User.Username()), "%s connects to %q as %q, which the init script does not create", role, db, u.User.Username())
	}

	tp := c.Services["temporal"].Environment
	for _, db := range []string{tp["DBNAME"], tp["VISIBILITY_DBNAME"]} {
		assert.True(t, createsDB(db, tp["POSTGRES_USER"]), "temporal uses database %q as %q, which the init script does not create", db, tp["POSTGRES_USER"])
	}
	schema := c.Services["temporal-schema"].Environment
	assert.Equal(t, tp["POSTGRES_USER"], schema["SQL_USER"], "temporal-schema must set up the schema as the role the server uses")
	assert.Equal(t, tp["POSTGRES_PWD"], schema["SQL_PASSWORD"])
	assert.Equal(t, tp["POSTGRES_SEEDS"], schema["SQL_HOST"])

	// Every \getenv in the script reads a variable the postgres service sets.
	pg := c.Services["postgres"].Environment
	getenv := regexp.MustCompile(`(?m)^\\getenv\s+\S+\s+(\S+)`).FindAllStringSubmatch(script, -1)
	require.NotEmpty(t, getenv)
	for _, m := range getenv {
		assert.NotEmpty(t, pg[m[1]], "the init script reads %s, which the postgres service does not set", m[1])
	}
	// ...and they are the passwords the other services use.
	u, _ := url.Parse(c.Services["api"].Environment["DATABASE_URL"])
	pw, _ := u.User.Password()
	assert.Equal(t, pg["RCM_DB_PASSWORD"], pw)
	assert.Equal(t, pg["TEMPORAL_DB_PASSWORD"], tp["POSTGRES_PWD"])
}

// TestTemporalDynamicConfig checks that the dynamic config file the temporal
// service is pointed at exists in the mounted directory and is a YAML
// mapping of keys to lists of {value, constraints}.
func TestTemporalDynamicConfig(t *testing.T) {
	c, err := parseCompose(readComposeDoc(t), testEnv)
	require.NoError(t, err)
	tp := c.Services["temporal"]
	path := tp.Environment["DYNAMIC_CONFIG_FILE_PATH"]
	require.NotEmpty(t, path, "without DYNAMIC_CONFIG_FILE_PATH the server looks for a docker.yaml the image does not ship")

	var hostFile string
	for _, v := range tp.Volumes {
		if v.Type == "bind" && filepath.Dir(path) == v.Target {
			hostFile = filepath.Join(repoRoot, v.Source, filepath.Base(path))
		}
	}
	require.NotEmpty(t, hostFile, "%s is not in a bind-mounted directory", path)
	data, err := os.ReadFile(hostFile)
	require.NoError(t, err)
	var cfg map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	for key, values := range cfg {
		assert.NotEmpty(t, values, "%s has no values", key)
	}
}
