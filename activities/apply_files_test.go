package activities

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeMailbox is a clearinghouse's inbound files, some arriving later.
type fakeMailbox struct {
	mu    sync.Mutex
	files []PolledFile
	polls []string // the cursors polled after
}

func (m *fakeMailbox) put(fs ...PolledFile) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files = append(m.files, fs...)
	slices.SortFunc(m.files, func(x, y PolledFile) int { return strings.Compare(x.ID, y.ID) })
}

func (m *fakeMailbox) poll(_ context.Context, after string, max int) ([]PolledFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.polls = append(m.polls, after)
	var out []PolledFile
	for _, f := range m.files {
		if f.ID > after && len(out) < max {
			out = append(out, f)
		}
	}
	return out, nil
}

// applyLog records the files applied, in order, and fails or slows some.
type applyLog struct {
	mu      sync.Mutex
	applied []string
	tries   map[string]int
	slow    map[string]time.Duration
	failFor map[string]int // a file fails this many times first
}

func newApplyLog() *applyLog {
	return &applyLog{tries: map[string]int{}, slow: map[string]time.Duration{}, failFor: map[string]int{}}
}

func (l *applyLog) apply(ctx context.Context, f PolledFile) error {
	name := string(f.Data)
	l.mu.Lock()
	l.tries[name]++
	try, slow, fails := l.tries[name], l.slow[name], l.failFor[name]
	l.mu.Unlock()
	if f.Problem != "" {
		return errUnreadable
	}
	if slow > 0 {
		if err := sleep(ctx, slow); err != nil {
			return err
		}
	}
	if try <= fails {
		return errors.New("database restarting")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applied = append(l.applied, name)
	return nil
}

func (l *applyLog) order(prefix byte) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range l.applied {
		if f[0] == prefix {
			out = append(out, f)
		}
	}
	return out
}

func (l *applyLog) index(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.applied, name)
}

func file(id, sub, name string) PolledFile {
	return PolledFile{ID: id, SubmissionID: sub, Kind: "999", Data: []byte(name)}
}

// twoSubmissions are two submissions' answers as the clearinghouse makes them
// available: their IDs interleave, and each submission's come 999, 277CA, 835.
func twoSubmissions() []PolledFile {
	return []PolledFile{file("MB01", "a", "a999"), file("MB02", "b", "b999"), file("MB03", "a", "a277"),
		file("MB04", "b", "b277"), file("MB05", "a", "a835"), file("MB06", "b", "b835")}
}

func runPipeline(t *testing.T, m *fakeMailbox, l *applyLog, runFor time.Duration, after string) (ApplyOutcome, []string) {
	t.Helper()
	var mu sync.Mutex
	var beats []string
	p := &filePipeline{poll: m.poll, apply: l.apply,
		wait: func(ctx context.Context, _ string, until time.Time) error { return sleep(ctx, time.Until(until)) },
		beat: func(c string) {
			mu.Lock()
			defer mu.Unlock()
			beats = append(beats, c)
		},
		logger: func(string, ...any) {}, grace: 200 * time.Millisecond}
	out, err := p.run(context.Background(), ApplyRequest{After: after, RunFor: runFor, Wait: 10 * time.Millisecond, Max: 50}, after)
	require.NoError(t, err)
	return out, beats
}

func TestFilesOfASubmissionApplyInOrderAndSubmissionsSideBySide(t *testing.T) {
	m, l := &fakeMailbox{}, newApplyLog()
	m.put(twoSubmissions()...)
	l.slow["a999"] = 100 * time.Millisecond // b's files must not wait for it
	out, beats := runPipeline(t, m, l, 300*time.Millisecond, "")
	require.Equal(t, ApplyOutcome{Cursor: "MB06", Applied: 6}, out)
	require.Equal(t, []string{"a999", "a277", "a835"}, l.order('a'))
	require.Equal(t, []string{"b999", "b277", "b835"}, l.order('b'))
	require.Less(t, l.index("b835"), l.index("a999"), "b went on beside a's slow file: %v", l.applied)
	require.Equal(t, "MB06", beats[len(beats)-1], "the heartbeat carries the cursor")
	require.Equal(t, "", m.polls[0])
	require.Equal(t, "MB06", m.polls[len(m.polls)-1], "later polls ask for files after the last one fetched")
}

func TestAFileArrivingWhileASlowOneIsAppliedStartsAtOnce(t *testing.T) {
	m, l := &fakeMailbox{}, newApplyLog()
	m.put(twoSubmissions()...)
	l.slow["a277"] = 300 * time.Millisecond
	go func() {
		time.Sleep(50 * time.Millisecond)
		m.put(file("MB07", "c", "c999"))
	}()
	out, _ := runPipeline(t, m, l, 500*time.Millisecond, "")
	require.Equal(t, "MB07", out.Cursor)
	require.Equal(t, 7, out.Applied)
	require.Less(t, l.index("c999"), l.index("a277"), "c did not wait for a's slow file: %v", l.applied)
}

func TestAFailingFileIsTriedAgainAndHoldsTheCursorAndItsSubmission(t *testing.T) {
	m, l := &fakeMailbox{}, newApplyLog()
	m.put(twoSubmissions()...)
	l.failFor["a277"] = 2
	out, beats := runPipeline(t, m, l, 2*time.Second, "")
	require.Equal(t, ApplyOutcome{Cursor: "MB06", Applied: 6}, out)
	require.Equal(t, []string{"a999", "a277", "a835"}, l.order('a'), "a's 835 waited for its 277CA")
	require.Less(t, l.index("b835"), l.index("a277"), "b did not wait for a's failing file: %v", l.applied)
	require.Equal(t, 3, l.tries["a277"])
	require.Equal(t, 1, l.tries["b277"], "no file applied twice")
	require.Contains(t, beats, "MB02", "while a277 failed the cursor stood before it")
}

func TestAFileThatKeepsFailingIsLeftToTheNextRunFromTheCursor(t *testing.T) {
	m, l := &fakeMailbox{}, newApplyLog()
	m.put(twoSubmissions()...)
	l.failFor["a277"] = 1000
	out, _ := runPipeline(t, m, l, 100*time.Millisecond, "")
	require.Equal(t, "MB02", out.Cursor, "the cursor stops before the failing file")
	require.Equal(t, 2, out.Pending, "a277 and a835 are left for the next run")
	require.Equal(t, []string{"a999"}, l.order('a'))
	require.Equal(t, []string{"b999", "b277", "b835"}, l.order('b'))

	// The next run (the database back) starts from that cursor: the files after
	// it are fetched again; those applied already apply again as no-ops.
	l.failFor["a277"] = 0
	out, _ = runPipeline(t, m, l, 100*time.Millisecond, out.Cursor)
	require.Equal(t, "MB06", out.Cursor)
	require.Equal(t, []string{"a999", "a277", "a835"}, l.order('a'))
	require.Equal(t, 2, l.tries["b277"], "files after the cursor are applied again (ApplyInbound makes that a no-op)")
}

func TestAnUnreadableFileIsSkippedAndPassed(t *testing.T) {
	m, l := &fakeMailbox{}, newApplyLog()
	bad := file("MB01", "a", "a999")
	bad.Problem = "unreadable X12: segment ISA at position 0, element 16"
	m.put(bad, file("MB02", "a", "a277"))
	out, _ := runPipeline(t, m, l, 100*time.Millisecond, "")
	require.Equal(t, ApplyOutcome{Cursor: "MB02", Applied: 1, Unreadable: 1}, out)
	require.Equal(t, []string{"a277"}, l.order('a'))
}
