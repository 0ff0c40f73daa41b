package deploy

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// repoRoot is the repository root relative to this package.
const repoRoot = "../.."

// The services the topology must define, and the address the rcm processes
// reach Temporal at.
var (
	requiredServices = []string{"postgres", "temporal", "temporal-ui", "api", "worker"}
	temporalAddress  = "temporal:7233"
)

// testEnv is the environment used to interpolate docker-compose.yml, as the
// operator's .env file would.
var testEnv = map[string]string{
	"POSTGRES_PASSWORD":    "pg-superuser-pw",
	"RCM_DB_PASSWORD":      "rcm-pw",
	"TEMPORAL_DB_PASSWORD": "temporal-pw",
	"ENCRYPTION_KEY":       "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"PHI_KEY":              "UEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEg=",
	"PHI_LOOKUP_KEY":       "TE9PS1VQTE9PS1VQTE9PS1VQTE9PS1VQTE9PS1VQTE8=",
}

func TestComposeFile(t *testing.T) {
	doc := readComposeDoc(t)
	if problems := checkCompose(doc, repoRoot); len(problems) > 0 {
		t.Errorf("docker-compose.yml:\n%s", strings.Join(problems, "\n"))
	}
}

// TestComposeRequiresSecrets checks that the secrets really are required:
// interpolating without them fails, as `docker compose` would.
func TestComposeRequiresSecrets(t *testing.T) {
	doc := readComposeDoc(t)
	for name := range testEnv {
		env := make(map[string]string)
		for k, v := range testEnv {
			if k != name {
				env[k] = v
			}
		}
		_, err := parseCompose(doc, env)
		assert.ErrorContains(t, err, name, "compose must refuse to start without %s", name)
	}
	_, err := parseCompose(doc, testEnv)
	assert.NoError(t, err)
}

// TestComposeChecksCatchMistakes breaks a copy of docker-compose.yml in
// various ways and checks that checkCompose notices each one, so that
// TestComposeFile cannot pass vacuously.
func TestComposeChecksCatchMistakes(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(doc map[string]any)
		want   string // substring of one of the problems
	}{
		{"service removed", func(d map[string]any) { delete(services(d), "worker") }, `service "worker" is missing`},
		{"ui removed", func(d map[string]any) { delete(services(d), "temporal-ui") }, `service "temporal-ui" is missing`},
		{"api runs the worker", func(d map[string]any) { svc(d, "api")["command"] = []any{"worker"} }, `api: command`},
		{"worker command as a string", func(d map[string]any) { svc(d, "worker")["command"] = "api" }, `worker: command`},
		{"api built elsewhere", func(d map[string]any) {
			svc(d, "api")["build"] = map[string]any{"context": "./cmd"}
		}, `api: build context`},
		{"worker pulls an image", func(d map[string]any) {
			delete(svc(d, "worker"), "build")
			svc(d, "worker")["image"] = "rcm:latest"
		}, `worker: must build`},
		{"other Dockerfile", func(d map[string]any) {
			svc(d, "api")["build"] = map[string]any{"context": ".", "dockerfile": "Dockerfile.dev"}
		}, `api: build dockerfile`},
		{"database on localhost", func(d map[string]any) {
			env(d, "worker")["DATABASE_URL"] = "postgres://rcm:${RCM_DB_PASSWORD:?x}@localhost:5432/rcm"
		}, `worker: DATABASE_URL host`},
		{"database url missing", func(d map[string]any) { delete(env(d, "api"), "DATABASE_URL") }, `api: DATABASE_URL`},
		{"temporal on localhost", func(d map[string]any) { env(d, "api")["TEMPORAL_ADDRESS"] = "localhost:7233" }, `api: TEMPORAL_ADDRESS`},
		{"temporal address missing", func(d map[string]any) { delete(env(d, "worker"), "TEMPORAL_ADDRESS") }, `worker: TEMPORAL_ADDRESS`},
		{"ui points elsewhere", func(d map[string]any) { env(d, "temporal-ui")["TEMPORAL_ADDRESS"] = "127.0.0.1:7233" }, `temporal-ui: TEMPORAL_ADDRESS`},
		{"unknown dependency", func(d map[string]any) {
			svc(d, "worker")["depends_on"] = []any{"postgres", "redis"}
		}, `worker: depends_on "redis"`},
		{"bad condition", func(d map[string]any) {
			svc(d, "worker")["depends_on"] = map[string]any{"postgres": map[string]any{"condition": "healthy"}}
		}, `condition "healthy"`},
		{"dependency cycle", func(d map[string]any) { svc(d, "postgres")["depends_on"] = []any{"worker"} }, `dependency cycle`},
		{"healthy without healthcheck", func(d map[string]any) { delete(svc(d, "postgres"), "healthcheck") }, `has no healthcheck`},
		{"volume not declared", func(d map[string]any) { delete(d["volumes"].(map[string]any), "postgres-data") }, `volume "postgres-data" is not declared`},
		{"volume declared but unused", func(d map[string]any) { d["volumes"].(map[string]any)["spare"] = nil }, `volume "spare" is declared but not used`},
		{"bind mount source missing", func(d map[string]any) {
			svc(d, "postgres")["volumes"] = []any{"postgres-data:/var/lib/postgresql/data", "./nope:/docker-entrypoint-initdb.d:ro"}
		}, `bind mount source "./nope" does not exist`},
		{"literal encryption key", func(d map[string]any) {
			env(d, "api")["ENCRYPTION_KEY"] = testEnv["ENCRYPTION_KEY"]
		}, `api: ENCRYPTION_KEY must come from a required variable`},
		{"literal database password", func(d map[string]any) {
			env(d, "worker")["DATABASE_URL"] = "postgres://rcm:rcm@postgres:5432/rcm?sslmode=disable"
		}, `worker: DATABASE_URL password`},
		{"optional secret", func(d map[string]any) {
			env(d, "postgres")["POSTGRES_PASSWORD"] = "${POSTGRES_PASSWORD:-postgres}"
		}, `postgres: POSTGRES_PASSWORD must come from a required variable`},
		{"api port not published", func(d map[string]any) { delete(svc(d, "api"), "ports") }, `api: port 8080`},
		{"api healthcheck elsewhere", func(d map[string]any) {
			svc(d, "api")["healthcheck"] = map[string]any{"test": []any{"CMD", "curl", "-f", "http://127.0.0.1:8080/"}}
		}, `api: healthcheck`},
		{"temporal on mysql", func(d map[string]any) { env(d, "temporal")["DB"] = "mysql8" }, `temporal: DB`},
		{"temporal elsewhere", func(d map[string]any) { env(d, "temporal")["POSTGRES_SEEDS"] = "db" }, `temporal: POSTGRES_SEEDS`},
		{"postgres 16", func(d map[string]any) { svc(d, "postgres")["image"] = "postgres:16" }, `postgres: image`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := readComposeDoc(t)
			tt.mutate(doc)
			problems := checkCompose(doc, repoRoot)
			require.NotEmpty(t, problems, "the mistake went unnoticed")
			found := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) })
			assert.True(t, found, "want a problem containing %q, got:\n%s", tt.want, strings.Join(problems, "\n"))
		})
	}
}

func TestInterpolate(t *testing.T) {
	env := map[string]string{"A": "a", "EMPTY": ""}
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "$$A and $$$${A}", want: "$A and $${A}"},
		{in: "${A}-$A-${A:-x}-${A-x}", want: "a-a-a-a"},
		{in: "${B:-dflt}|${B-dflt}|${EMPTY:-dflt}|${EMPTY-dflt}", want: "dflt|dflt|dflt|"},
		{in: "${A:?need A}", want: "a"},
		{in: "${B:?set B please}", err: "set B please"},
		{in: "${EMPTY:?must not be empty}", err: "must not be empty"},
		{in: "${EMPTY?set}", want: ""},
		{in: "${B?set B}", err: "set B"},
		{in: "${A", err: "unterminated"},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in, env)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// ---- checks -----------------------------------------------------------------

var (
	// requiredRef is a compose variable that must be set and non-empty:
	// ${NAME:?message}.
	requiredRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$`)
	// secretName matches environment variables that hold secrets.
	secretName = regexp.MustCompile(`(PASSWORD|_PWD|SECRET|_TOKEN|_KEY)$`)
	// dbURLPassword extracts the password of a postgres URL.
	dbURLPassword   = regexp.MustCompile(`^postgres(?:ql)?://[^:@/]+:(.*)@[^@]*$`)
	validConditions = []string{"service_started", "service_healthy", "service_completed_successfully"}
)

// checkCompose returns the problems found in a decoded docker-compose.yml;
// root is the directory the file lives in.
func checkCompose(doc map[string]any, root string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	raw, err := parseCompose(doc, nil)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	c, err := parseCompose(doc, testEnv)
	if err != nil {
		return []string{"interpolate: " + err.Error()}
	}

	for _, name := range requiredServices {
		if _, ok := c.Services[name]; !ok {
			add("service %q is missing", name)
		}
	}

	// api and worker: the repo's image, their role, and their configuration.
	for _, role := range []string{"api", "worker"} {
		s, ok := c.Services[role]
		if !ok {
			continue
		}
		switch {
		case s.Build == nil:
			add("%s: must build the repository's Dockerfile (no build section)", role)
		default:
			if filepath.Clean(s.Build.Context) != "." {
				add("%s: build context is %q, want \".\"", role, s.Build.Context)
			}
			if df := s.Build.Dockerfile; df != "" && filepath.Clean(df) != "Dockerfile" {
				add("%s: build dockerfile is %q, want Dockerfile", role, df)
			}
			if _, err := os.Stat(filepath.Join(root, s.Build.Context, "Dockerfile")); err != nil {
				add("%s: build: %v", role, err)
			}
		}
		if !slices.Equal(s.Command, []string{role}) {
			add("%s: command is %q, want [%q]", role, s.Command, role)
		}
		checkDatabaseURL(role, s, raw.Services[role], add)
		if got, ok := s.Environment["TEMPORAL_ADDRESS"]; !ok || got != temporalAddress {
			add("%s: TEMPORAL_ADDRESS is %q, want %q", role, got, temporalAddress)
		}
		for _, key := range []string{"ENCRYPTION_KEY", "PHI_KEY", "PHI_LOOKUP_KEY"} {
			if s.Environment[key] == "" {
				add("%s: %s is not set", role, key)
			}
		}
	}
	if api, ok := c.Services["api"]; ok {
		if !api.publishes(8080) {
			add("api: port 8080 is not published")
		}
		if addr := api.Environment["HTTP_ADDR"]; addr != "" && !strings.HasSuffix(addr, ":8080") {
			add("api: HTTP_ADDR %q does not listen on the published port 8080", addr)
		}
		if api.Healthcheck != nil && !strings.Contains(strings.Join(api.Healthcheck.Test, " "), "/healthz") {
			add("api: healthcheck %q does not probe /healthz", api.Healthcheck.Test)
		}
	}

	if pg, ok := c.Services["postgres"]; ok {
		if !strings.HasPrefix(pg.Image, "postgres:15") {
			add("postgres: image is %q, want postgres:15", pg.Image)
		}
		if pg.Healthcheck == nil || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
			add("postgres: healthcheck must use pg_isready")
		}
		if !slices.ContainsFunc(pg.Volumes, func(v volumeMount) bool {
			return v.Named() && v.Target == "/var/lib/postgresql/data"
		}) {
			add("postgres: data directory is not on a named volume")
		}
	}
	if tp, ok := c.Services["temporal"]; ok {
		if !strings.HasPrefix(tp.Image, "temporalio/server:") && !strings.HasPrefix(tp.Image, "temporalio/auto-setup:") {
			add("temporal: image is %q, want temporalio/server or temporalio/auto-setup", tp.Image)
		}
		if got := tp.Environment["DB"]; got != "postgres12" && got != "postgres12_pgx" {
			add("temporal: DB is %q, want postgres12", got)
		}
		if got := tp.Environment["POSTGRES_SEEDS"]; got != "postgres" {
			add("temporal: POSTGRES_SEEDS is %q, want the postgres service", got)
		}
		if !slices.Contains(tp.DependsOn.Names(), "postgres") {
			add("temporal: does not depend on postgres")
		}
		if !tp.publishes(7233) {
			add("temporal: port 7233 is not published")
		}
	}
	if ui, ok := c.Services["temporal-ui"]; ok {
		if !strings.HasPrefix(ui.Image, "temporalio/ui:") {
			add("temporal-ui: image is %q, want temporalio/ui", ui.Image)
		}
		if got := ui.Environment["TEMPORAL_ADDRESS"]; got != temporalAddress {
			add("temporal-ui: TEMPORAL_ADDRESS is %q, want %q", got, temporalAddress)
		}
		if !ui.publishes(8080) {
			add("temporal-ui: container port 8080 is not published")
		}
	}

	problems = append(problems, checkDependencies(c)...)
	problems = append(problems, checkVolumes(c, root)...)
	problems = append(problems, checkSecrets(raw)...)
	return problems
}

func checkDatabaseURL(role string, s, raw service, add func(string, ...any)) {
	v, ok := s.Environment["DATABASE_URL"]
	if !ok {
		add("%s: DATABASE_URL is not set", role)
		return
	}
	u, err := url.Parse(v)
	if err != nil {
		add("%s: DATABASE_URL: %v", role, err)
		return
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		add("%s: DATABASE_URL scheme is %q, want postgres", role, u.Scheme)
	}
	if u.Hostname() != "postgres" || (u.Port() != "" && u.Port() != "5432") {
		add("%s: DATABASE_URL host is %q, want the postgres service (postgres:5432)", role, u.Host)
	}
	if u.Path != "/rcm" {
		add("%s: DATABASE_URL database is %q, want rcm", role, strings.TrimPrefix(u.Path, "/"))
	}
	// The password must not be written in the file.
	m := dbURLPassword.FindStringSubmatch(raw.Environment["DATABASE_URL"])
	if m == nil || !requiredRef.MatchString(m[1]) {
		add("%s: DATABASE_URL password must come from a required variable (${NAME:?message})", role)
	}
}

// checkDependencies checks that every depends_on names another defined
// service with a valid condition, that service_healthy is only used on
// services with a healthcheck, and that there is no cycle.
func checkDependencies(c *composeFile) []string {
	var problems []string
	for _, name := range sortedKeys(c.Services) {
		for _, dep := range c.Services[name].DependsOn {
			target, ok := c.Services[dep.Service]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: depends_on %q, which is not a service", name, dep.Service))
			case dep.Service == name:
				problems = append(problems, fmt.Sprintf("%s: depends on itself", name))
			case !slices.Contains(validConditions, dep.Condition):
				problems = append(problems, fmt.Sprintf("%s: depends_on %s with condition %q", name, dep.Service, dep.Condition))
			case dep.Condition == "service_healthy" && target.Healthcheck == nil:
				problems = append(problems, fmt.Sprintf("%s: waits for %s to be healthy, but %s has no healthcheck", name, dep.Service, dep.Service))
			}
		}
	}
	// Depth-first search for cycles.
	state := map[string]int{} // 0 unvisited, 1 on the stack, 2 done
	var visit func(name string, path []string) []string
	visit = func(name string, path []string) []string {
		switch state[name] {
		case 1:
			return append(path, name)
		case 2:
			return nil
		}
		state[name] = 1
		for _, dep := range c.Services[name].DependsOn.Names() {
			if _, ok := c.Services[dep]; ok {
				if cycle := visit(dep, append(path, name)); cycle != nil {
					return cycle
				}
			}
		}
		state[name] = 2
		return nil
	}
	for _, name := range sortedKeys(c.Services) {
		if cycle := visit(name, nil); cycle != nil {
			problems = append(problems, "dependency cycle: "+strings.Join(cycle, " -> "))
			break
		}
	}
	return problems
}

// checkVolumes checks that every named volume a service mounts is declared,
// every declared volume is used, and every bind-mounted path exists.
func checkVolumes(c *composeFile, root string) []string {
	var problems []string
	used := map[string]bool{}
	for _, name := range sortedKeys(c.Services) {
		for _, v := range c.Services[name].Volumes {
			switch {
			case v.Named():
				used[v.Source] = true
				if _, ok := c.Volumes[v.Source]; !ok {
					problems = append(problems, fmt.Sprintf("%s: volume %q is not declared under the top-level volumes", name, v.Source))
				}
			case v.Type == "bind" && !filepath.IsAbs(v.Source):
				if _, err := os.Stat(filepath.Join(root, v.Source)); err != nil {
					problems = append(problems, fmt.Sprintf("%s: bind mount source %q does not exist", name, v.Source))
				}
			}
		}
	}
	for _, name := range sortedKeys(c.Volumes) {
		if !used[name] {
			problems = append(problems, fmt.Sprintf("volume %q is declared but not used", name))
		}
	}
	return problems
}

// checkSecrets checks, on the uninterpolated file, that every secret-looking
// environment variable is taken from a required variable and never written
// in the file.
func checkSecrets(raw *composeFile) []string {
	var problems []string
	for _, name := range sortedKeys(raw.Services) {
		s := raw.Services[name]
		for _, key := range sortedKeys(s.Environment) {
			if secretName.MatchString(key) && !requiredRef.MatchString(s.Environment[key]) {
				problems = append(problems, fmt.Sprintf("%s: %s must come from a required variable (${%s:?message}), not %q",
					name, key, key, s.Environment[key]))
			}
		}
	}
	return problems
}

// ---- the compose model ------------------------------------------------------

// composeFile is the part of the Compose specification the checks need. Each
// type accepts the short and the long syntax the specification allows.
type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string        `yaml:"image"`
	Build       *build        `yaml:"build"`
	Command     stringList    `yaml:"command"`
	Environment environment   `yaml:"environment"`
	DependsOn   dependsOn     `yaml:"depends_on"`
	Volumes     []volumeMount `yaml:"volumes"`
	Ports       []portMapping `yaml:"ports"`
	Healthcheck *healthcheck  `yaml:"healthcheck"`
}

// publishes reports whether the service publishes the container port.
func (s service) publishes(containerPort int) bool {
	for _, p := range s.Ports {
		if p.Target == fmt.Sprint(containerPort) {
			return true
		}
	}
	return false
}

type build struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// UnmarshalYAML accepts `build: path` and `build: {context: path, ...}`.
func (b *build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain build
	if err := n.Decode((*plain)(b)); err != nil {
		return err
	}
	if b.Context == "" {
		b.Context = "."
	}
	return nil
}

// stringList is a command: a list, or a string split on white space.
type stringList []string

// UnmarshalYAML accepts a string or a list of strings.
func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = strings.Fields(n.Value)
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// environment is a service's environment.
type environment map[string]string

// UnmarshalYAML accepts a mapping or a list of NAME=value.
func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	*e = environment{}
	if n.Kind == yaml.SequenceNode {
		var items []string
		if err := n.Decode(&items); err != nil {
			return err
		}
		for _, item := range items {
			k, v, _ := strings.Cut(item, "=")
			(*e)[k] = v
		}
		return nil
	}
	var m map[string]*string
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		if v != nil {
			(*e)[k] = *v
		} else {
			(*e)[k] = ""
		}
	}
	return nil
}

type dependency struct {
	Service   string
	Condition string
}

type dependsOn []dependency

// Names returns the services depended on.
func (d dependsOn) Names() []string {
	var names []string
	for _, dep := range d {
		names = append(names, dep.Service)
	}
	return names
}

// UnmarshalYAML accepts a list of names or a mapping of name to
// {condition: ...}.
func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, name := range names {
			*d = append(*d, dependency{Service: name, Condition: "service_started"})
		}
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for _, name := range sortedKeys(m) {
		cond := m[name].Condition
		if cond == "" {
			cond = "service_started"
		}
		*d = append(*d, dependency{Service: name, Condition: cond})
	}
	return nil
}

type volumeMount struct {
	Type   string `yaml:"type"`
	Source string `yaml:"source"`
	Target string `yaml:"target"`
}

// Named reports whether the mount is of a named volume.
func (v volumeMount) Named() bool { return v.Type == "volume" && v.Source != "" }

// UnmarshalYAML accepts "source:target[:mode]", "target" (an anonymous
// volume) and the long syntax.
func (v *volumeMount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		type plain volumeMount
		return n.Decode((*plain)(v))
	}
	parts := strings.Split(n.Value, ":")
	if len(parts) == 1 {
		*v = volumeMount{Type: "volume", Target: parts[0]}
		return nil
	}
	v.Source, v.Target = parts[0], parts[1]
	// A source that looks like a path is a bind mount; anything else names a
	// volume.
	if strings.ContainsAny(v.Source, "/.~") || strings.HasPrefix(v.Source, "$") {
		v.Type = "bind"
	} else {
		v.Type = "volume"
	}
	return nil
}

type portMapping struct {
	Published string `yaml:"published"`
	Target    string `yaml:"target"`
}

// UnmarshalYAML accepts "[ip:][published:]target[/proto]" and the long
// syntax.
func (p *portMapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		type plain portMapping
		return n.Decode((*plain)(p))
	}
	spec, _, _ := strings.Cut(n.Value, "/")
	parts := strings.Split(spec, ":")
	p.Target = parts[len(parts)-1]
	if len(parts) > 1 {
		p.Published = parts[len(parts)-2]
	}
	return nil
}

type healthcheck struct {
	Test stringList `yaml:"test"`
}

// ---- loading and interpolation -------------------------------------------------

// readComposeDoc reads docker-compose.yml into generic maps (anchors and
// merge keys resolved) that a test can modify.
func readComposeDoc(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	return doc
}

// parseCompose decodes doc into the compose model. With a non-nil env it
// first interpolates every value the way docker compose does.
func parseCompose(doc map[string]any, env map[string]string) (*composeFile, error) {
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if env != nil {
		if err := interpolateNode(&root, env); err != nil {
			return nil, err
		}
	}
	var c composeFile
	if err := root.Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

func interpolateNode(n *yaml.Node, env map[string]string) error {
	if n.Kind == yaml.ScalarNode {
		v, err := interpolate(n.Value, env)
		if err != nil {
			return err
		}
		n.Value = v
		return nil
	}
	for i, child := range n.Content {
		// Mapping keys are not interpolated.
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		if err := interpolateNode(child, env); err != nil {
			return err
		}
	}
	return nil
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

// interpolate expands $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
// ${NAME:?error} and ${NAME?error}, and turns $$ into $, as Compose does.
// (Compose also allows nested expansions in defaults; this file does not use
// them.)
func interpolate(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		switch {
		case s[0] == '$':
			b.WriteByte('$')
			s = s[1:]
		case s[0] == '{':
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", s)
			}
			expr := s[1:end]
			s = s[end+1:]
			name := varName.FindString(expr)
			if name == "" {
				return "", fmt.Errorf("invalid variable ${%s}", expr)
			}
			val, set := env[name]
			op := expr[len(name):]
			switch {
			case op == "":
				b.WriteString(val)
			case strings.HasPrefix(op, ":-"):
				b.WriteString(cond(set && val != "", val, op[2:]))
			case strings.HasPrefix(op, "-"):
				b.WriteString(cond(set, val, op[1:]))
			case strings.HasPrefix(op, ":?"):
				if !set || val == "" {
					return "", fmt.Errorf("required variable %s is missing a value: %s", name, op[2:])
				}
				b.WriteString(val)
			case strings.HasPrefix(op, "?"):
				if !set {
					return "", fmt.Errorf("required variable %s is missing a value: %s", name, op[1:])
				}
				b.WriteString(val)
			default:
				return "", fmt.Errorf("unsupported expansion ${%s}", expr)
			}
		default:
			name := varName.FindString(s)
			if name == "" {
				b.WriteByte('$')
				continue
			}
			b.WriteString(env[name])
			s = s[len(name):]
		}
	}
}

func cond(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- helpers for the mutation tests --------------------------------------------

func services(doc map[string]any) map[string]any { return doc["services"].(map[string]any) }

func svc(doc map[string]any, name string) map[string]any {
	return services(doc)[name].(map[string]any)
}

func env(doc map[string]any, name string) map[string]any {
	return svc(doc, name)["environment"].(map[string]any)
}
