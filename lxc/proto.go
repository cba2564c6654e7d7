package lxc

import (
	"encoding/json"
	"errors"
	"fmt"
)

// HelperCommand is the hidden subcommand of the saltgo binary that runs one
// liblxc operation in a child process: `saltgo __lxc-helper <response-file>`
// reads a JSON Request on stdin and writes a JSON Response to the file.
// cmd/saltgo dispatches it to HelperMain.
const HelperCommand = "__lxc-helper"

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
	// Spawn is the VM of a "spawn" request, run entirely in one helper.
	Spawn *Settings `json:"spawn,omitempty"`
}

// Response is the helper's answer.
type Response struct {
	OK     bool            `json:"ok"`
	Code   string          `json:"code,omitempty"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// Error codes of a Response.
const (
	codeNotFound    = "not_found"
	codeExists      = "exists"
	codeUnavailable = "unavailable"
	codeFailed      = "failed"
)

func (r *Response) err() error {
	switch r.Code {
	case codeNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, r.Error)
	case codeExists:
		return fmt.Errorf("%w: %s", ErrExists, r.Error)
	case codeUnavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, r.Error)
	}
	return errors.New(r.Error)
}

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
