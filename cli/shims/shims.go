// Package shims is `saltgo shims`: it writes small Python loader modules
// (a runner module and an execution module per Go module) that forward
// every call to the saltgo binary, so that a Python salt-run (or a Python
// minion) keeps answering `mastersalt-run mc_cloud_lxc.install_vt cn1`
// while the work is done in Go. Drop the files into the master's
// runner_dirs / the minions' _modules (file_roots) and sync them.
package shims

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/host"
)

// DefaultModules are the modules shims are written for by default.
var DefaultModules = []string{"mc_cloud_lxc"}

// Main runs `saltgo shims` with args (without the command name) and
// returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("saltgo shims", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write _runners/<module>.py and _modules/<module>.py into (required)")
	bin := fs.String("binary", "", "saltgo binary the shims run (default: this program)")
	mods := fs.String("modules", strings.Join(DefaultModules, ","), "comma-separated Go modules to write shims for")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: saltgo shims --out DIR [--binary PATH] [--modules mc_cloud_lxc]\n\n"+
			"Write Python loader modules that forward runner and execution calls to saltgo:\n"+
			"  DIR/_runners/<module>.py  for a Python salt-run / mastersalt-run (runner_dirs)\n"+
			"  DIR/_modules/<module>.py  for Python minions (file_roots _modules, saltutil.sync_modules)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 64
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "saltgo shims: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 64
	}
	if *out == "" {
		fmt.Fprint(stderr, "saltgo shims: --out DIR is required\n")
		fs.Usage()
		return 64
	}
	binary := *bin
	if binary == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "saltgo shims: cannot find this program (pass --binary): %v\n", err)
			return 1
		}
		binary = exe
	}
	if !filepath.IsAbs(binary) {
		fmt.Fprintf(stderr, "saltgo shims: --binary must be an absolute path, got %q\n", binary)
		return 64
	}
	var names []string
	for _, m := range strings.Split(*mods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			names = append(names, m)
		}
	}
	written, err := Write(*out, binary, names)
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "saltgo shims: %v\n", err)
		return 1
	}
	return 0
}

// Write writes the shims of the named modules under dir and returns the
// files written. A module must be registered (as a runner, an execution
// module or both).
func Write(dir, binary string, modules []string) ([]string, error) {
	if len(modules) == 0 {
		return nil, errors.New("no module given")
	}
	var written []string
	for _, name := range modules {
		found := false
		for _, k := range []struct {
			kind host.Kind
			sub  string
		}{{host.Runner, "_runners"}, {host.Exec, "_modules"}} {
			m, ok := host.GetModule(k.kind, name)
			if !ok {
				continue
			}
			found = true
			src, err := Render(m, binary)
			if err != nil {
				return written, err
			}
			p := filepath.Join(dir, k.sub, name+".py")
			if err := writeAtomic(p, []byte(src)); err != nil {
				return written, err
			}
			written = append(written, p)
		}
		if !found {
			return written, fmt.Errorf("saltgo hosts no module %q (runners: %s)", name, strings.Join(host.FunctionNames(host.Runner), ", "))
		}
	}
	return written, nil
}

func writeAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".shim-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	return err
}

// pyStr is a Python string literal (repr of a text).
func pyStr(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0x7e:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// Render returns the Python source of a module's shim.
func Render(m *host.Module, binary string) (string, error) {
	funcs := append([]*host.Func(nil), m.Funcs...)
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].Name < funcs[j].Name })
	var b strings.Builder
	role := "run"
	what := "runner"
	if m.Kind == host.Exec {
		role, what = "call", "execution"
	}
	fmt.Fprintf(&b, "# -*- coding: utf-8 -*-\n# Generated by `saltgo shims`: do not edit (regenerate instead).\n")
	fmt.Fprintf(&b, "'''\n%s %s module forwarding every call to saltgo (%s).\n\n", m.Name, what, binary)
	b.WriteString("The work is done by the saltgo binary; this file only keeps the Python\n")
	b.WriteString("loader answering while the Python " + map[string]string{"run": "salt-run", "call": "minion"}[role] + " is in service.\n'''\n")
	b.WriteString(prelude)
	fmt.Fprintf(&b, "SALTGO = %s\nROLE = %s\nMODULE = %s\n\n", pyStr(binary), pyStr(role), pyStr(m.Name))
	b.WriteString(forwarder)
	for _, f := range funcs {
		fmt.Fprintf(&b, "\n\ndef %s(*args, **kwargs):\n    %s\n    return _forward(%s, args, kwargs)\n", pyIdent(f.Name), pyDoc(f.Doc), pyStr(f.Name))
	}
	return b.String(), nil
}

func pyIdent(s string) string {
	switch s {
	case "list", "exec", "print", "pass", "import", "global", "lambda", "class", "def", "return":
		return s + "_"
	}
	return s
}

func pyDoc(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return "''''''"
	}
	return pyStr(doc)
}

const prelude = `
from __future__ import absolute_import, print_function

import json
import os
import subprocess

try:
    from salt.exceptions import CommandExecutionError
except ImportError:  # outside salt (tests)
    class CommandExecutionError(Exception):
        pass

`

// forwarder runs saltgo with --out json and returns its parsed output. The
// flavour (mastersalt or salt) follows the config directory in use; each
// argument is passed as JSON, which saltgo's YAML typing reads back as the
// same value (strings stay strings, "a=b" positional strings are quoted).
const forwarder = `
def __virtual__():
    if os.access(SALTGO, os.X_OK):
        return MODULE
    return (False, 'saltgo binary {0} is missing or not executable'.format(SALTGO))


def _conf_dir():
    opts = globals().get('__opts__') or {}
    conf = opts.get('conf_file') or ''
    return os.path.dirname(conf) if conf else ''


def _program(conf_dir):
    flavour = 'mastersalt' if 'mastersalt' in (conf_dir or '') else 'salt'
    return '{0}-{1}'.format(flavour, ROLE)


def _word(value):
    return json.dumps(value, sort_keys=True)


def _forward(fun, args, kwargs):
    conf_dir = _conf_dir()
    cmd = [SALTGO, _program(conf_dir)]
    if conf_dir:
        cmd += ['-c', conf_dir]
    cmd += ['--out', 'json', '--no-color', '{0}.{1}'.format(MODULE, fun)]
    cmd += [_word(a) for a in args]
    for key in sorted(kwargs):
        if key.startswith('__'):
            continue  # salt's own __pub_* arguments
        cmd.append('{0}={1}'.format(key, _word(kwargs[key])))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    if not isinstance(out, str):
        out, err = out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
    try:
        ret = json.loads(out) if out.strip() else None
    except ValueError:
        raise CommandExecutionError('saltgo {0}.{1} (exit {2}): {3}{4}'.format(MODULE, fun, proc.returncode, out, err))
    if ROLE == 'call' and isinstance(ret, dict) and 'local' in ret:
        ret = ret['local']
    if ret is None and proc.returncode != 0:
        raise CommandExecutionError('saltgo {0}.{1} (exit {2}): {3}'.format(MODULE, fun, proc.returncode, err))
    return ret
`
