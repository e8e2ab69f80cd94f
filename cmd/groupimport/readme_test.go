package main

// The README's cron and Kubernetes examples are exactly what these tests
// run: the command lines are read from README.md, their paths and the
// region replaced by test ones (every absolute path must have a
// replacement), and run by the built binary from a read-only working
// directory — as user 65534 when the tests run as root, whom file modes
// do not stop.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/groupimport/groupimport/internal/fakeapi"
)

// readmeBlock returns the first fenced block of lang after marker in
// README.md.
func readmeBlock(t *testing.T, marker, lang string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("README.md has no %q", marker)
	}
	start := strings.Index(text[i:], "```"+lang+"\n")
	if start < 0 {
		t.Fatalf("README.md has no ```%s block after %q", lang, marker)
	}
	start += i + len("```"+lang+"\n")
	end := strings.Index(text[start:], "```\n")
	return text[start : start+end]
}

// sandbox is the machine a README example runs on: a folder standing for
// its root, and the user who runs it.
type sandbox struct {
	t    *testing.T
	root string // stands for /
	srv  *fakeapi.Server
}

func newSandbox(t *testing.T) *sandbox {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	t.Cleanup(srv.Close)
	sb := &sandbox{t: t, root: t.TempDir(), srv: srv}
	// the exports: the clean sample
	sb.mkdir("exports/companies", false)
	data, err := os.ReadFile(fixtures + "clean/companies.csv")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(sb.path("exports/companies/companies.csv"), data, 0o644)
	// the working directory: read-only
	sb.mkdir("cwd", false)
	os.Chmod(sb.path("cwd"), 0o555)
	t.Cleanup(func() { os.Chmod(sb.path("cwd"), 0o755) })
	return sb
}

func (sb *sandbox) path(rel string) string { return filepath.Join(sb.root, rel) }

// mkdir makes a folder of the sandbox, writable by the user of the runs
// when writable.
func (sb *sandbox) mkdir(rel string, writable bool) string {
	p := sb.path(rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		sb.t.Fatal(err)
	}
	if writable {
		sb.own(p)
	}
	return p
}

// own gives path to the user of the runs.
func (sb *sandbox) own(path string) {
	if os.Getuid() == 0 {
		os.Chown(path, 65534, 65534)
	}
}

// args replaces the README's paths and region in a command line: each
// absolute path becomes the sandbox's, --region us the fake API.
func (sb *sandbox) args(readme []string) []string {
	var out []string
	for i := 0; i < len(readme); i++ {
		a := readme[i]
		switch {
		case a == "--region" && i+1 < len(readme):
			out = append(out, "--endpoint", sb.srv.URL())
			i++
		case strings.HasPrefix(a, "/"):
			out = append(out, filepath.Join(sb.root, a)+map[bool]string{true: "/"}[strings.HasSuffix(a, "/")])
		default:
			out = append(out, a)
		}
	}
	return out
}

// run runs the binary with args and env from the read-only working
// directory, as user 65534 when the test runs as root.
func (sb *sandbox) run(args []string, env ...string) (code int, stdout, stderr string) {
	t := sb.t
	t.Helper()
	bin := buildBinary(t)
	for _, p := range []string{bin, sb.root} {
		for d := filepath.Dir(p); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o005 == 0 {
				os.Chmod(d, st.Mode().Perm()|0o755)
			}
		}
	}
	os.Chmod(sb.root, 0o755)
	cmd := exec.Command(bin, args...)
	cmd.Dir = sb.path("cwd")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "TMPDIR=" + sb.mkdir("tmp", true)}, env...)
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(sb.path("cwd")); len(entries) != 0 {
		t.Errorf("the run wrote into the working directory: %v", entries)
	}
	return code, o.String(), e.String()
}

// TestReadmeCron runs the README's crontab line: three nights — the first
// (a first run, said once), a quiet second with nothing to send, and a
// failed third (the API unreachable) whose error reaches stderr as JSON.
func TestReadmeCron(t *testing.T) {
	block := readmeBlock(t, "crontab (", "cron")
	var line string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			line = l
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 7 || fields[5] != "groupimport" {
		t.Fatalf("the crontab line is not `m h dom mon dow groupimport …`: %q", line)
	}
	sb := newSandbox(t)
	args := sb.args(fields[6:])
	sb.mkdir("etc/groupimport", false)
	key := sb.path("etc/groupimport/key")
	os.WriteFile(key, []byte(testKey+"\n"), 0o600)
	sb.own(key)
	sb.mkdir("var/lib/groupimport", true)
	sb.mkdir("var/lib", true) // node_exporter/ is made by the run
	home := sb.mkdir("home/ops", true)
	env := []string{"HOME=" + home}

	code, stdout, stderr := sb.run(args, env...)
	recs := jsonLines(t, stderr)
	if code != 0 || stdout != "" || len(recs) != 1 || recs[0]["first_run"] != true {
		t.Fatalf("the first night: exit %d, want 0 with one line (the first run)\n%s%s", code, stdout, stderr)
	}
	report := filepath.Join(home, ".local/state/groupimport/report.json")
	r := sameExitCode(t, report, code)
	if deref(r.Totals.Delivered) != 8 || len(sb.srv.Messages()) != 8 {
		t.Errorf("delivered %d, the API stored %d, want 8", deref(r.Totals.Delivered), len(sb.srv.Messages()))
	}
	prom := sb.path("var/lib/node_exporter/groupimport.prom")
	if m := metrics(t, prom); m["groupimport_last_run_success"] != "1" || m[`groupimport_run_rows{outcome="delivered"}`] != "8" {
		t.Errorf("metrics after the first night: %v", m)
	}

	code, stdout, stderr = sb.run(args, env...)
	if code != 0 || stdout+stderr != "" || len(sb.srv.Messages()) != 8 {
		t.Errorf("the second night: exit %d, want 0, silent, nothing sent\n%s%s", code, stdout, stderr)
	}

	failing := sb.args(fields[6:])
	for i, a := range failing {
		if a == sb.srv.URL() {
			failing[i] = deadEndpoint(t)
		}
	}
	// a night with a change to send: Acme's plan
	data, _ := os.ReadFile(sb.path("exports/companies/companies.csv"))
	os.WriteFile(sb.path("exports/companies/companies.csv"), bytes.Replace(data, []byte("enterprise"), []byte("pro"), 1), 0o644)
	code, _, stderr = sb.run(append(failing, "--max-attempts", "2", "--retry-base", "1ms"), env...)
	fin := record(jsonLines(t, stderr), "ERROR", "finished")
	if code != 1 || fin == nil || fin["note"] != "nothing was delivered" || fin["error"] == nil {
		t.Errorf("a failed night: exit %d, want 1 and an ERROR record saying why\n%s", code, stderr)
	}
	if m := metrics(t, prom); m["groupimport_last_run_success"] != "0" || m["groupimport_last_run_exit_code"] != "1" {
		t.Errorf("metrics after the failed night: %v", m)
	}
}

// TestReadmeKubernetes runs the container's args of the README's CronJob,
// with its environment, as its securityContext says (user 65534, a
// read-only root filesystem: only /state and /tmp are writable).
func TestReadmeKubernetes(t *testing.T) {
	var job struct {
		Spec struct {
			JobTemplate struct {
				Spec struct {
					Template struct {
						Spec struct {
							SecurityContext struct {
								RunAsUser    int  `yaml:"runAsUser"`
								RunAsNonRoot bool `yaml:"runAsNonRoot"`
							} `yaml:"securityContext"`
							Containers []struct {
								Args []string
								Env  []struct {
									Name      string
									ValueFrom any `yaml:"valueFrom"`
								}
								SecurityContext struct {
									ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
								} `yaml:"securityContext"`
								VolumeMounts []struct {
									Name      string
									MountPath string `yaml:"mountPath"`
								} `yaml:"volumeMounts"`
							}
						}
					}
				}
			} `yaml:"jobTemplate"`
		}
	}
	if err := yaml.Unmarshal([]byte(readmeBlock(t, "Kubernetes (", "yaml")), &job); err != nil {
		t.Fatal(err)
	}
	pod := job.Spec.JobTemplate.Spec.Template.Spec
	if len(pod.Containers) != 1 || pod.SecurityContext.RunAsUser != 65534 || !pod.SecurityContext.RunAsNonRoot ||
		!pod.Containers[0].SecurityContext.ReadOnlyRootFilesystem {
		t.Fatalf("the README's CronJob is not one container run as 65534 with a read-only root filesystem: %+v", pod)
	}
	c := pod.Containers[0]
	sb := newSandbox(t)
	writable := map[string]bool{}
	for _, m := range c.VolumeMounts {
		writable[m.MountPath] = m.Name != "exports"
	}
	if !writable["/state"] || !writable["/tmp"] {
		t.Fatalf("the CronJob mounts %v: /state and /tmp must be writable", writable)
	}
	sb.mkdir("state", true)
	env := []string{"HOME=/"} // 65534's home in an image: not writable
	for _, e := range c.Env {
		if e.Name != "CIO_API_KEY" {
			t.Errorf("an environment variable the test does not set: %s", e.Name)
		}
		env = append(env, "CIO_API_KEY="+testKey)
	}
	args := sb.args(c.Args)
	code, stdout, stderr := sb.run(args, env...)
	jsonLines(t, stderr)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	r := sameExitCode(t, sb.path("state/last-report.json"), code)
	if deref(r.Totals.Delivered) != 8 || len(sb.srv.Messages()) != 8 {
		t.Errorf("delivered %d, the API stored %d, want 8", deref(r.Totals.Delivered), len(sb.srv.Messages()))
	}
	entries, _ := os.ReadDir(sb.path("state"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "crm.state last-rejects.ndjson last-report.json" {
		t.Errorf("/state holds %v, want the state, the report and the rejects beside it", names)
	}
}
