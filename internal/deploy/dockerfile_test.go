package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goVersion is the Go release the build stage must use: go.mod's go line, which
// the Makefile's and .ci/run's GOTOOLCHAIN also name.
var goVersion = goModVersion()

// goModVersion reads the go line of the repository's go.mod.
func goModVersion() string {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return v
		}
	}
	panic("go.mod has no go line")
}

// TestToolchainIsPinnedEverywhere checks that the Makefile, .ci/run and the
// Dockerfile all ask for the toolchain go.mod names: a machine whose go command
// is older fetches exactly that one.
func TestToolchainIsPinnedEverywhere(t *testing.T) {
	want := "GOTOOLCHAIN=go" + goVersion
	for _, f := range []string{"Makefile", ".ci/run", "Dockerfile"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		require.NoError(t, err)
		text := strings.ReplaceAll(string(b), " := ", "=")
		assert.Contains(t, text, want, "%s must set %s", f, want)
	}
}

func TestDockerfile(t *testing.T) {
	stages, err := parseDockerfile(readDockerfile(t))
	require.NoError(t, err)
	if problems := checkDockerfile(stages); len(problems) > 0 {
		t.Errorf("Dockerfile:\n%s", strings.Join(problems, "\n"))
	}
}

// TestDockerfileChecksCatchMistakes breaks a copy of the Dockerfile in
// various ways and checks that checkDockerfile notices each one.
func TestDockerfileChecksCatchMistakes(t *testing.T) {
	tests := []struct {
		name    string
		old     string // text of the real Dockerfile to replace...
		new     string // ...with this
		want    string // substring of one of the problems
		isRegex bool
	}{
		{name: "older Go", old: "golang:" + goVersion + "-bookworm", new: "golang:1.26.7-bookworm", want: "Go " + goVersion},
		{name: "builds a sub-package", old: "-o /out/rcm .\n", new: "-o /out/rcm ./cmd/rcm\n", want: "root package"},
		{name: "no trimpath", old: "-trimpath ", new: "", want: "-trimpath"},
		{name: "cgo on", old: "CGO_ENABLED=0", new: "CGO_ENABLED=1", want: "CGO_ENABLED=0"},
		{name: "no module download layer", old: "RUN go mod download\n", new: "", want: "go mod download"},
		{name: "runs as root", old: "USER 10001:10001", new: "USER root", want: "root"},
		{name: "runs as uid 0", old: "USER 10001:10001", new: "USER 0:0", want: "root"},
		{name: "no USER", old: "USER 10001:10001\n", new: "", want: "root"},
		{name: "entrypoint elsewhere", old: `ENTRYPOINT ["/rcm"]`, new: `ENTRYPOINT ["/app"]`, want: "ENTRYPOINT"},
		{name: "shell-form entrypoint", old: `ENTRYPOINT ["/rcm"]`, new: `ENTRYPOINT /rcm`, want: "ENTRYPOINT"},
		{name: "binary not copied", old: "COPY --from=build /out/rcm /rcm\n", new: "", want: "copy"},
		{name: "other default command", old: `CMD ["api"]`, new: `CMD ["worker"]`, want: "CMD"},
		{name: "port not exposed", old: "EXPOSE 8080\n", new: "", want: "EXPOSE 8080"},
		{name: "single stage", old: "FROM debian:bookworm-slim AS runtime", new: "", want: "stage"},
	}
	orig := readDockerfile(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, orig, tt.old, "the Dockerfile changed; update this test case")
			stages, err := parseDockerfile(strings.Replace(orig, tt.old, tt.new, 1))
			require.NoError(t, err)
			problems := checkDockerfile(stages)
			require.NotEmpty(t, problems, "the mistake went unnoticed")
			found := slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) })
			assert.True(t, found, "want a problem containing %q, got:\n%s", tt.want, strings.Join(problems, "\n"))
		})
	}
}

// TestComposeHealthcheckToolInImage checks that a healthcheck the compose
// file runs inside the rcm image uses a program the image has.
func TestComposeHealthcheckToolInImage(t *testing.T) {
	stages, err := parseDockerfile(readDockerfile(t))
	require.NoError(t, err)
	c, err := parseCompose(readComposeDoc(t), testEnv)
	require.NoError(t, err)
	for _, name := range []string{"api", "worker"} {
		s := c.Services[name]
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 || s.Healthcheck.Test[0] == "NONE" {
			continue
		}
		var prog string
		switch s.Healthcheck.Test[0] {
		case "CMD":
			prog = s.Healthcheck.Test[1]
		case "CMD-SHELL":
			prog = strings.Fields(s.Healthcheck.Test[1])[0]
		}
		if prog == "/rcm" {
			continue
		}
		assert.True(t, installs(stages[len(stages)-1], path.Base(prog)),
			"%s: the healthcheck runs %q, which the final image stage does not install", name, prog)
	}
}

// ---- checks -----------------------------------------------------------------

// checkDockerfile returns the problems found in the parsed Dockerfile.
func checkDockerfile(stages []stage) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if len(stages) < 2 {
		return []string{fmt.Sprintf("want a multi-stage build (build and runtime), found %d stage(s)", len(stages))}
	}
	buildStage, final := stages[0], stages[len(stages)-1]

	// Build stage: the pinned Go toolchain, a cached module layer, a static
	// build of the root package.
	if img := buildStage.from; img != "golang:"+goVersion && !strings.HasPrefix(img, "golang:"+goVersion+"-") {
		add("build stage: FROM %s, want Go %s (golang:%s-<variant>)", img, goVersion, goVersion)
	}
	var (
		sawModCopy, sawModDownload, sawSourceCopy bool
		binary                                    string
		cgoOff                                    = buildStage.env("CGO_ENABLED") == "0"
	)
	for _, in := range buildStage.instrs {
		switch in.cmd {
		case "COPY":
			args := in.words()
			switch {
			case slices.Contains(args, "go.mod") && !sawSourceCopy:
				sawModCopy = true
			case slices.Contains(args, "."):
				sawSourceCopy = true
			}
		case "RUN":
			if strings.Contains(in.args, "go mod download") && sawModCopy && !sawSourceCopy {
				sawModDownload = true
			}
			if strings.Contains(in.args, "CGO_ENABLED=0") {
				cgoOff = true
			}
			if gb, ok := goBuildArgs(in.args); ok {
				var pkgs []string
				binary, pkgs = parseGoBuild(gb)
				if !slices.Equal(pkgs, []string{"."}) && !slices.Equal(pkgs, []string{"./"}) {
					add("build stage: go build %v, want the repository root package \".\"", pkgs)
				}
				if !slices.Contains(gb, "-trimpath") {
					add("build stage: go build without -trimpath")
				}
				if binary == "" {
					add("build stage: go build without -o")
				}
			}
		}
	}
	if !sawModDownload {
		add("build stage: want `RUN go mod download` after copying go.mod/go.sum and before the sources (layer caching)")
	}
	if !cgoOff {
		add("build stage: want CGO_ENABLED=0 (static binary)")
	}
	if binary == "" {
		add("build stage: no `go build` found")
	}

	// Final stage: a small image holding only the binary, run as non-root.
	if strings.HasPrefix(final.from, "golang:") {
		add("final stage: FROM %s; the runtime image must not be the Go toolchain", final.from)
	}
	var dest string
	for _, in := range final.instrs {
		if in.cmd != "COPY" {
			continue
		}
		w := in.words()
		if len(w) == 3 && w[0] == "--from="+buildStage.name && w[1] == binary {
			dest = w[2]
			if strings.HasSuffix(dest, "/") {
				dest += path.Base(binary)
			}
		}
	}
	if dest == "" {
		add("final stage: no `COPY --from=%s %s <dest>` to copy the binary", buildStage.name, binary)
	}
	if ep, ok := final.last("ENTRYPOINT"); !ok {
		add("final stage: no ENTRYPOINT")
	} else if words, err := ep.execForm(); err != nil || len(words) == 0 || words[0] != dest {
		add("final stage: ENTRYPOINT %s, want the exec form [%q] (the copied binary)", ep.args, dest)
	}
	if cmd, ok := final.last("CMD"); !ok {
		add("final stage: no CMD")
	} else if words, err := cmd.execForm(); err != nil || !slices.Equal(words, []string{"api"}) {
		add(`final stage: CMD %s, want ["api"]`, cmd.args)
	}
	if e, ok := final.last("EXPOSE"); !ok || !slices.Contains(e.words(), "8080") {
		add("final stage: want EXPOSE 8080")
	}
	if u, ok := final.last("USER"); ok {
		user, _, _ := strings.Cut(strings.TrimSpace(u.args), ":")
		if user == "root" || user == "0" || user == "" {
			add("final stage: USER %s runs as root", u.args)
		}
	} else if !strings.HasSuffix(final.from, ":nonroot") && !strings.HasSuffix(final.from, "-nonroot") {
		add("final stage: no USER, so the container runs as root")
	}
	return problems
}

// goBuildArgs returns the words of the `go build` command in a RUN line,
// up to the end of that shell command.
func goBuildArgs(run string) ([]string, bool) {
	words := shellWords(run)
	for i := 0; i+1 < len(words); i++ {
		if words[i] == "go" && words[i+1] == "build" {
			var out []string
			for _, w := range words[i+2:] {
				if w == "&&" || w == ";" || w == "||" || w == "|" {
					break
				}
				out = append(out, w)
			}
			return out, true
		}
	}
	return nil, false
}

// parseGoBuild returns the -o value and the package arguments of go build.
func parseGoBuild(args []string) (output string, pkgs []string) {
	takesValue := map[string]bool{
		"-o": true, "-ldflags": true, "-gcflags": true, "-asmflags": true, "-tags": true,
		"-mod": true, "-p": true, "-buildmode": true, "-modfile": true, "-overlay": true,
		"-pgo": true, "-installsuffix": true, "-compiler": true, "-gccgoflags": true, "-C": true,
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			pkgs = append(pkgs, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		name = "-" + strings.TrimLeft(name, "-")
		if !hasVal && takesValue[name] && i+1 < len(args) {
			i++
			val = args[i]
		}
		if name == "-o" {
			output = val
		}
	}
	return output, pkgs
}

// installs reports whether a RUN in the stage installs the program with
// apt-get, apk or microdnf.
func installs(s stage, prog string) bool {
	for _, in := range s.instrs {
		if in.cmd != "RUN" {
			continue
		}
		words := shellWords(in.args)
		for i, w := range words {
			if (w == "install" || w == "add") && i > 0 && slices.Contains([]string{"apt-get", "apt", "apk", "microdnf"}, words[i-1]) {
				for _, p := range words[i+1:] {
					if p == "&&" || p == ";" {
						break
					}
					if p == prog {
						return true
					}
				}
			}
		}
	}
	return false
}

// ---- a minimal Dockerfile parser ------------------------------------------------

type instruction struct {
	cmd  string // upper-cased keyword
	args string // the rest, continuation lines joined
	line int
}

// words splits the arguments on white space.
func (in instruction) words() []string { return strings.Fields(in.args) }

// execForm decodes a JSON-array (exec form) argument.
func (in instruction) execForm() ([]string, error) {
	var words []string
	if !strings.HasPrefix(strings.TrimSpace(in.args), "[") {
		return nil, fmt.Errorf("line %d: %s is in shell form", in.line, in.cmd)
	}
	err := json.Unmarshal([]byte(in.args), &words)
	return words, err
}

type stage struct {
	from   string
	name   string
	instrs []instruction
}

// last returns the stage's last instruction with the keyword.
func (s stage) last(cmd string) (instruction, bool) {
	for i := len(s.instrs) - 1; i >= 0; i-- {
		if s.instrs[i].cmd == cmd {
			return s.instrs[i], true
		}
	}
	return instruction{}, false
}

// env returns the value an ENV instruction of the stage sets for key.
func (s stage) env(key string) string {
	val := ""
	for _, in := range s.instrs {
		if in.cmd != "ENV" {
			continue
		}
		for _, w := range shellWords(in.args) {
			if k, v, ok := strings.Cut(w, "="); ok && k == key {
				val = v
			}
		}
	}
	return val
}

func readDockerfile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	return string(data)
}

// parseDockerfile splits a Dockerfile into stages of instructions. It
// handles comments, parser directives and backslash continuations, which is
// all this repository's Dockerfile uses (no heredocs, no escape directive).
func parseDockerfile(text string) ([]stage, error) {
	var (
		stages  []stage
		current *instruction
	)
	finish := func() error {
		if current == nil {
			return nil
		}
		in := *current
		current = nil
		if in.cmd == "FROM" {
			w := in.words()
			for len(w) > 0 && strings.HasPrefix(w[0], "--") { // --platform=...
				w = w[1:]
			}
			if len(w) == 0 {
				return fmt.Errorf("line %d: FROM without an image", in.line)
			}
			s := stage{from: w[0]}
			if len(w) == 3 && strings.EqualFold(w[1], "AS") {
				s.name = w[2]
			}
			stages = append(stages, s)
			return nil
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				return nil // global build argument
			}
			return fmt.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		return nil
	}
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments (also inside continuations) and directives
		}
		if current == nil {
			if trimmed == "" {
				continue
			}
			cmd, rest, _ := strings.Cut(trimmed, " ")
			current = &instruction{cmd: strings.ToUpper(cmd), line: i + 1}
			trimmed = strings.TrimSpace(rest)
		}
		cont := strings.HasSuffix(trimmed, `\`)
		trimmed = strings.TrimSuffix(trimmed, `\`)
		current.args = strings.TrimSpace(current.args + " " + trimmed)
		if !cont {
			if err := finish(); err != nil {
				return nil, err
			}
		}
	}
	if current != nil {
		return nil, fmt.Errorf("line %d: %s ends with a continuation", current.line, current.cmd)
	}
	return stages, nil
}

// shellWords splits a shell command line into words, honouring single and
// double quotes and backslash escapes; ; && || and | are separate words.
func shellWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		inTok bool
		quote rune
	)
	flush := func() {
		if inTok {
			words = append(words, cur.String())
			cur.Reset()
			inTok = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inTok = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inTok = true
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == ';':
			flush()
			words = append(words, ";")
		case r == '&' || r == '|':
			flush()
			op := string(r)
			if i+1 < len(rs) && rs[i+1] == r {
				op += string(r)
				i++
			}
			words = append(words, op)
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	flush()
	return words
}

func TestShellWords(t *testing.T) {
	assert.Equal(t,
		[]string{"go", "build", "-ldflags=-s -w", "-o", "/out/rcm", ".", "&&", "echo", "a b", ";", "x"},
		shellWords(`go build -ldflags="-s -w" -o /out/rcm . && echo 'a b'; x`))
	out, pkgs := parseGoBuild([]string{"-trimpath", "-ldflags", "-s -w", "-o=/bin/x", "-tags", "netgo", "./..."})
	assert.Equal(t, "/bin/x", out)
	assert.Equal(t, []string{"./..."}, pkgs)
}
