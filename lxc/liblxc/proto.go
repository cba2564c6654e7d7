package liblxc

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Sentinel errors returned (wrapped) by the Client.
var (
	// ErrNotFound: the container is not defined.
	ErrNotFound = errors.New("container does not exist")
	// ErrExists: the container is already defined.
	ErrExists = errors.New("container already exists")
	// ErrUnavailable: liblxc cannot be used on this host.
	ErrUnavailable = errors.New("liblxc is unavailable")
	// ErrHelperCrashed: the helper child died without answering.
	ErrHelperCrashed = errors.New("lxc helper process crashed")
)

// Request is one operation sent to the helper child.
type Request struct {
	Op      string        `json:"op"`
	LXCPath string        `json:"lxcpath"`
	Name    string        `json:"name,omitempty"`
	Plan    *Plan         `json:"plan,omitempty"`
	Config  *ConfigChange `json:"config,omitempty"`
	Key     string        `json:"key,omitempty"`
	Value   string        `json:"value,omitempty"`
	Args    []string      `json:"args,omitempty"`
	Env     []string      `json:"env,omitempty"`
	Stdin   []byte        `json:"stdin,omitempty"`
	// StdinFile is a host file fed to the command's stdin instead of Stdin.
	StdinFile string `json:"stdin_file,omitempty"`
	// Timeout in seconds for stop/shutdown and wait operations.
	Timeout int  `json:"timeout,omitempty"`
	Kill    bool `json:"kill,omitempty"`
	// Combined sends a command's stderr to its stdout (attach).
	Combined bool `json:"combined,omitempty"`
	// Body is the input of a compound operation (see helper.Compound),
	// e.g. the VM settings of "spawn", run entirely in one helper.
	Body json.RawMessage `json:"body,omitempty"`
}

// Response is the helper's answer.
type Response struct {
	OK     bool            `json:"ok"`
	Code   string          `json:"code,omitempty"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// Error codes of a Response: they carry the sentinel errors across the
// process boundary.
const (
	CodeNotFound    = "not_found"
	CodeExists      = "exists"
	CodeUnavailable = "unavailable"
	CodeFailed      = "failed"
)

// Fail returns the Response of a failed operation.
func Fail(code string, err error) *Response {
	return &Response{Code: code, Error: err.Error()}
}

// OK returns the Response of a successful operation with result v.
func OK(v any) *Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Fail(CodeFailed, err)
	}
	return &Response{OK: true, Result: b}
}

func (r *Response) err() error {
	switch r.Code {
	case CodeNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, r.Error)
	case CodeExists:
		return fmt.Errorf("%w: %s", ErrExists, r.Error)
	case CodeUnavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, r.Error)
	}
	return errors.New(r.Error)
}

// ErrorCode classifies an error for the wire (the inverse of CodeError).
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrExists):
		return CodeExists
	case errors.Is(err, ErrUnavailable):
		return CodeUnavailable
	}
	return CodeFailed
}

// CodeError rebuilds an error sent over the wire: its message is kept as
// it is and errors.Is finds the sentinel of its code.
func CodeError(code, msg string) error {
	switch code {
	case CodeNotFound:
		return &wireError{msg: msg, is: ErrNotFound}
	case CodeExists:
		return &wireError{msg: msg, is: ErrExists}
	case CodeUnavailable:
		return &wireError{msg: msg, is: ErrUnavailable}
	}
	return errors.New(msg)
}

// wireError keeps the helper's exact message and its sentinel.
type wireError struct {
	msg string
	is  error
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.is }

// ContainerState is one entry of List.
type ContainerState struct {
	Name string `json:"name"`
	// State is liblxc's state in lower case: running, stopped, frozen...
	State string `json:"state"`
}

// Info describes one container.
type Info struct {
	Name       string   `json:"name"`
	State      string   `json:"state"`
	PID        int      `json:"pid"`
	IPs        []string `json:"ips"`
	ConfigFile string   `json:"config_file"`
	RootfsPath string   `json:"rootfs_path"`
	Autostart  bool     `json:"autostart"`
	Hwaddr     string   `json:"hwaddr,omitempty"`
	Link       string   `json:"link,omitempty"`
}

// RunResult is the outcome of a command run inside a container.
type RunResult struct {
	Status int    `json:"retcode"`
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
}

// ConfItem is one LXC configuration key and value (an entry of the
// lxc_conf setting, which makina-states writes as a list of one-key dicts).
type ConfItem struct {
	Key   string `json:"key" salt:"key"`
	Value string `json:"value" salt:"value"`
}

// Plan says how a container is made: created from a template or cloned
// from an origin, with which storage backend and options. Provisioning
// builds it from a VM's settings; the helper executes it.
type Plan struct {
	Name string `json:"name"`
	// Kind is the profile type the plan came from (dir, lvm-scratch...),
	// for messages; the helper does not use it.
	Kind string `json:"-"`
	// Clone is true to clone Origin, false to create from Template.
	Clone        bool     `json:"clone"`
	Origin       string   `json:"origin,omitempty"`
	Template     string   `json:"template,omitempty"`
	TemplateArgs []string `json:"template_args,omitempty"`
	// Backend is the liblxc backing store name: dir, overlayfs or lvm.
	Backend  string `json:"backend"`
	Snapshot bool   `json:"snapshot,omitempty"`
	// LVM options (Backend lvm only).
	VG        string `json:"vg,omitempty"`
	LV        string `json:"lv,omitempty"`
	FSType    string `json:"fstype,omitempty"`
	SizeBytes uint64 `json:"size_bytes,omitempty"`
}

// ConfigChange is what Configure applies to a container's config file:
// first Clear (keys, including whole prefixes such as "lxc.net"), then Set
// in order.
type ConfigChange struct {
	Clear []string   `json:"clear"`
	Set   []ConfItem `json:"set"`
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)

// ValidateName checks that a container name is usable as a directory name.
func ValidateName(name string) error {
	if !nameRe.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("lxc: invalid container name %q", name)
	}
	return nil
}
