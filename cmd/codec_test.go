package dslruncmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dslrun/dslrun/activities"
	"github.com/dslrun/dslrun/activities/builtin"
	dslruncmd "github.com/dslrun/dslrun/cmd"
	"github.com/dslrun/dslrun/codec"
	"github.com/dslrun/dslrun/internal/devserver"
	"github.com/dslrun/dslrun/interpreter"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"
)

// writeKey writes a new key of id to a file in dir and returns its path.
func writeKey(t *testing.T, dir, id string) string {
	t.Helper()
	line, err := codec.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id+"-"+strings.ReplaceAll(t.Name(), "/", "_")+".keys")
	for i := 0; ; i++ { // several keys of one id: one file each
		if _, err := os.Stat(path); os.IsNotExist(err) {
			break
		}
		path = filepath.Join(dir, id+"-"+string(rune('a'+i))+".keys")
	}
	if err := os.WriteFile(path, []byte("# test key\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawPayloads returns every payload of a history, as stored, search
// attributes aside (they are indexed by the server, never encoded).
func rawPayloads(t *testing.T, h *historypb.History) []*commonpb.Payload {
	t.Helper()
	var all []*commonpb.Payload
	err := proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			all = append(all, ps...)
			return ps, nil
		},
		SkipSearchAttributes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// dbHolds reports whether the SQLite database file (with its WAL) holds s.
func dbHolds(t *testing.T, dbFile, s string) bool {
	t.Helper()
	for _, f := range []string{dbFile, dbFile + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// TestCodecEndToEnd runs examples/encryption/intake.yaml on an embedded
// server with a file database, with a key: input, activity, signal, query,
// update and result all go through the CLI with the key and show
// plaintext, while the history read through a plain client (no codec)
// holds only binary/encrypted payloads, no canary anywhere in it, and the
// database file holds no canary either (a run without a key, as a
// control, does put its canary there). Without the key, or with another key
// of the same id, or keys of other ids, result and history fail naming the
// key id.
func TestCodecEndToEnd(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "temporal.db")
	srv, err := devserver.Start(context.Background(), devserver.Options{DBFile: dbFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	addr := srv.FrontendAddress()
	conn := []string{"--address", addr}
	keys := writeKey(t, dir, "intake-1")
	withKey := append([]string{"--codec-key-file", keys}, conn...)

	const canary = "canary-Ada-5f1c9e"
	const noteCanary = "canary-note-77ab"
	id := "codec-intake"
	path := filepath.Join("..", "examples", "encryption", "intake.yaml")
	var (
		wg         sync.WaitGroup
		applyCode  int
		applyOut   string
		applyError string
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		applyCode, applyOut, applyError = run(append([]string{"apply", path, "--id", id, "--task-queue", "q-codec", "--worker", "-o", "json",
			"--input", `{"patient": "` + canary + `", "note": "first"}`}, withKey...)...)
	}()
	deadline := time.Now().Add(hangBound)
	for {
		if code, _, _ := run(append([]string{"describe", id}, withKey...)...); code == dslruncmd.ExitOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustRun(t, dslruncmd.ExitOK, append([]string{"signal", id, "addNote", "--input", `{"note": "` + noteCanary + `"}`}, withKey...)...)
	// The signal is in history before the query is answered? Not
	// necessarily: query until the handler has run (bounded by hangBound).
	for {
		out := mustRun(t, dslruncmd.ExitOK, append([]string{"query", id, "lastNote"}, withKey...)...)
		if strings.Contains(out, noteCanary) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query lastNote = %q, want the signalled note", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out := mustRun(t, dslruncmd.ExitOK, append([]string{"update", id, "finish"}, withKey...)...); strings.TrimSpace(out) != "1" {
		t.Errorf("update finish = %q, want 1", out)
	}
	wg.Wait()
	if applyCode != dslruncmd.ExitOK || !strings.Contains(applyOut, canary) || !strings.Contains(applyOut, noteCanary) {
		t.Fatalf("apply: exit %d\n%s%s", applyCode, applyOut, applyError)
	}

	// With the key: plaintext.
	if out := mustRun(t, dslruncmd.ExitOK, append([]string{"result", id}, withKey...)...); !strings.Contains(out, canary) {
		t.Errorf("result with the key: %q", out)
	}
	h := mustRun(t, dslruncmd.ExitOK, append([]string{"history", id, "-o", "json"}, withKey...)...)
	decoded := replayJSON(t, h) // the decoded history replays
	found := false
	for _, p := range rawPayloads(t, decoded) {
		if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc == codec.MetadataEncodingEncrypted {
			t.Errorf("history -o json with the key holds an encrypted payload")
		}
		found = found || bytes.Contains(p.GetData(), []byte(canary))
	}
	if !found {
		t.Errorf("history -o json with the key shows no plaintext canary")
	}
	if out := mustRun(t, dslruncmd.ExitOK, append([]string{"history", id}, withKey...)...); !strings.Contains(out, canary) {
		t.Errorf("history with the key: no plaintext canary in\n%s", out)
	}
	// The key from the environment works as the flag does.
	keyText, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runEnv(map[string]string{"DSLRUN_CODEC_KEYS": string(keyText)}, append([]string{"result", id}, conn...)...); code != 0 || !strings.Contains(out, canary) {
		t.Errorf("result with DSLRUN_CODEC_KEYS: exit %d %q %s", code, out, stderr)
	}

	// Raw history through a plain client: ciphertext only.
	plain := dial(t, addr)
	ctx := testContext(t, hangBound)
	events := history(ctx, t, plain, id)
	raw := &historypb.History{Events: events}
	payloads := rawPayloads(t, raw)
	if len(payloads) < 8 {
		t.Fatalf("only %d payloads in history", len(payloads))
	}
	for i, p := range payloads {
		if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != codec.MetadataEncodingEncrypted {
			t.Errorf("payload %d: encoding %q, want %s", i, enc, codec.MetadataEncodingEncrypted)
		}
		if kid := string(p.GetMetadata()[codec.MetadataKeyID]); kid != "intake-1" {
			t.Errorf("payload %d: key id %q", i, kid)
		}
	}
	b, err := proto.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{canary, noteCanary, "patient"} {
		if bytes.Contains(b, []byte(c)) {
			t.Errorf("the raw history holds %q in plaintext", c)
		}
	}

	// Wrong or missing keys: an error naming the key id, exit 1.
	wrong := writeKey(t, dir, "intake-1")
	other := writeKey(t, dir, "other-2")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", conn, `payload is encrypted with key "intake-1", and no codec key is configured: give dslrun the key with --codec-key-file`},
		{"another key of the same id", append([]string{"--codec-key-file", wrong}, conn...), `payload encrypted with key "intake-1" does not decrypt with the configured key of that id`},
		{"keys of other ids", append([]string{"--codec-key-file", other}, conn...), `payload is encrypted with key "intake-1", which is not configured (configured: other-2)`},
	} {
		for _, cmd := range []string{"result", "history"} {
			code, stdout, stderr := run(append([]string{cmd, id}, tc.args...)...)
			if code != dslruncmd.ExitFailure || !strings.Contains(stderr, tc.want) || strings.Contains(stdout+stderr, canary) {
				t.Errorf("%s, %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", tc.name, cmd, code, stdout, stderr, tc.want)
			}
		}
	}

	// The database file: no canary; a run without a key, as a control,
	// leaves its canary there.
	const control = "canary-control-3d2e"
	out := mustRun(t, dslruncmd.ExitOK, append([]string{"apply", filepath.Join("..", "examples", "hello.yaml"), "--worker", "--task-queue", "q-codec-control", "-o", "json",
		"--input", `{"name": "` + control + `"}`}, conn...)...)
	var res struct{ Result string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || !strings.Contains(res.Result, control) {
		t.Fatalf("control run: %q %v", out, err)
	}
	if err := srv.Stop(); err != nil { // flush the database
		t.Fatal(err)
	}
	if !dbHolds(t, dbFile, control) {
		t.Fatalf("the control canary is not in %s: the grep proves nothing", dbFile)
	}
	for _, c := range []string{canary, noteCanary} {
		if dbHolds(t, dbFile, c) {
			t.Errorf("the database file holds %q in plaintext", c)
		}
	}
}

// TestCodecWorkerWithoutKey starts a run with a key and serves it first
// with a worker that has no key: its workflow task fails, naming the key
// id, and is retried, while the run stays running (it would fail if the
// decoding error reached workflow code). A worker with the key then runs it
// to completion.
func TestCodecWorkerWithoutKey(t *testing.T) {
	addr := sharedServer(t)
	conn := []string{"--address", addr}
	keys := writeKey(t, t.TempDir(), "late-1")
	id, queue := "codec-late-key", "q-codec-late"
	mustRun(t, dslruncmd.ExitOK, append([]string{"apply", filepath.Join("..", "examples", "hello.yaml"), "--id", id, "--task-queue", queue, "--detach",
		"--codec-key-file", keys, "--input", `{"name": "canary-late"}`}, conn...)...)

	keyless := startCodecWorker(t, addr, queue, nil)
	ctx := testContext(t, hangBound)
	plain := dial(t, addr)
	waitEvent(ctx, t, plain, id, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
	keyless.Stop()
	var failure string
	for _, ev := range history(ctx, t, plain, id) {
		if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
			failure = a.GetFailure().GetMessage()
		}
	}
	if !strings.Contains(failure, `payload is encrypted with key "late-1", and no codec key is configured`) {
		t.Errorf("workflow task failure %q does not name the key", failure)
	}
	if out := mustRun(t, dslruncmd.ExitOK, append([]string{"describe", id, "-o", "json", "--codec-key-file", keys}, conn...)...); !strings.Contains(out, `"status": "running"`) {
		t.Fatalf("the run is not running after the keyless worker:\n%s", out)
	}

	k, err := codec.LoadKeyFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	startCodecWorker(t, addr, queue, k)
	if out := mustRun(t, dslruncmd.ExitOK, append([]string{"result", id, "--codec-key-file", keys}, conn...)...); !strings.Contains(out, "Hello, canary-late!") {
		t.Errorf("result %q", out)
	}
}

// startCodecWorker starts an interpreter worker whose client has the codec
// with keys (nil: none). It stops when the test ends, if not before.
func startCodecWorker(t *testing.T, addr, queue string, keys *codec.Keys) worker.Worker {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger(), DataConverter: codec.NewDataConverter(codec.New(keys, codec.Options{}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, queue, worker.Options{})
	interpreter.Register(w, interpreter.Options{})
	reg := activities.NewRegistry()
	if err := builtin.Register(reg); err != nil {
		t.Fatal(err)
	}
	reg.Attach(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w
}
