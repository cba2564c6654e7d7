package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
)

// Return is one minion's answer to a job, or the note that it gave none.
type Return struct {
	// ID is the minion id.
	ID string
	// JID is the job id.
	JID string
	// Ret is the function's return value; for a minion that did not
	// return, Salt's CLI text ("Minion did not return. [No response]...").
	Ret any
	// Out is the outputter the minion asked for ("" for the default;
	// "no_return" for a minion that did not return).
	Out string
	// Retcode is the minion's retcode (1 for a minion that did not return).
	Retcode int
	// Failed marks a minion that did not return.
	Failed bool
	// Raw is the whole return event data (nil for Failed).
	Raw *data.Map
}

// CmdOptions are the options of Cmd and CmdIter.
type CmdOptions struct {
	PubOptions
	// Kwargs are the function's keyword arguments.
	Kwargs *data.Map
	// Timeout and GatherJobTimeout override the client's.
	Timeout          time.Duration
	GatherJobTimeout time.Duration
	// ExpectMinions reports minions that did not return as Failed returns
	// with Salt's CLI texts (salt's --show-timeout behaviour, the default
	// of the salt CLI).
	ExpectMinions bool
}

// CmdOption sets a CmdOptions field.
type CmdOption func(*CmdOptions)

// WithTgtType sets the target type (glob, list, grain, compound...).
func WithTgtType(t string) CmdOption { return func(o *CmdOptions) { o.TgtType = t } }

// WithKwargs sets the function's keyword arguments.
func WithKwargs(kw *data.Map) CmdOption { return func(o *CmdOptions) { o.Kwargs = kw } }

// WithTimeout sets the time returns are awaited before minions are asked
// whether they still run the job.
func WithTimeout(d time.Duration) CmdOption { return func(o *CmdOptions) { o.Timeout = d } }

// WithGatherJobTimeout sets the time the saltutil.find_job round waits.
func WithGatherJobTimeout(d time.Duration) CmdOption {
	return func(o *CmdOptions) { o.GatherJobTimeout = d }
}

// WithRet sets the returners.
func WithRet(ret string) CmdOption { return func(o *CmdOptions) { o.Ret = ret } }

// WithExpectMinions reports minions that did not return (see CmdOptions).
func WithExpectMinions() CmdOption { return func(o *CmdOptions) { o.ExpectMinions = true } }

// Returns iterates over the returns of one job as they arrive on the
// master's event bus.
type Returns struct {
	// Job is the published job.
	Job *Job

	c      *Client
	bus    EventSource
	opts   CmdOptions
	tgtArg any

	minions      map[string]bool
	order        []string // expected minions, in the master's order
	found        map[string]bool
	missing      map[string]bool
	timeoutAt    time.Time
	minionTO     map[string]time.Time
	running      bool // some minion still runs the job (start true: ask once)
	jinfoJID     string
	queue        []Return
	finished     bool
	connected    map[string]bool
	connectedErr error
	closed       bool
}

// CmdIter publishes fun to tgt and returns an iterator over the returns.
// The event bus is connected before the job is published. The caller must
// Close the iterator.
func (c *Client) CmdIter(ctx context.Context, tgt any, fun string, args []any, opts ...CmdOption) (*Returns, error) {
	o := CmdOptions{}
	for _, f := range opts {
		f(&o)
	}
	if o.Timeout <= 0 {
		o.Timeout = c.Timeout
	}
	if o.GatherJobTimeout <= 0 {
		o.GatherJobTimeout = c.GatherJobTimeout
	}
	if _, err := c.currentKey(); err != nil {
		return nil, err
	}
	bus, err := DialEvents(ctx, c.Bus, c.Log)
	if err != nil {
		return nil, err
	}
	job, err := c.Publish(ctx, tgt, fun, PackArgs(args, o.Kwargs), o.PubOptions)
	if err != nil {
		bus.Close()
		return nil, err
	}
	r := &Returns{Job: job, c: c, bus: bus, opts: o, tgtArg: tgt,
		minions: map[string]bool{}, found: map[string]bool{}, missing: map[string]bool{},
		minionTO: map[string]time.Time{}, running: true,
		timeoutAt: time.Now().Add(o.Timeout)}
	for _, m := range job.Minions {
		r.addMinion(m)
	}
	for _, m := range job.Missing {
		r.missing[m] = true
	}
	return r, nil
}

func (r *Returns) addMinion(id string) {
	if !r.minions[id] {
		r.minions[id] = true
		r.order = append(r.order, id)
	}
}

// Close releases the event bus connection.
func (r *Returns) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.bus.Close()
}

// Next returns the next return, io.EOF when the job is over (every
// expected minion returned, or the waiting rules of Salt's LocalClient
// gave up on the others), or an error (the event bus failed, ctx ended).
func (r *Returns) Next(ctx context.Context) (Return, error) {
	for {
		if len(r.queue) > 0 {
			ret := r.queue[0]
			r.queue = r.queue[1:]
			return ret, nil
		}
		if r.finished {
			return Return{}, io.EOF
		}
		if r.allFound() {
			r.finish()
			continue
		}
		now := time.Now()
		for _, id := range r.order {
			if !r.found[id] {
				if _, ok := r.minionTO[id]; !ok {
					r.minionTO[id] = now.Add(r.opts.Timeout)
				}
			}
		}
		if now.After(r.timeoutAt) && r.running {
			r.askRunning(ctx)
			r.running = false
			r.timeoutAt = time.Now().Add(r.opts.GatherJobTimeout)
			continue
		}
		if now.After(r.timeoutAt) && !r.running && r.allTimedOut(now) {
			r.finish()
			continue
		}
		wait := time.Until(r.timeoutAt)
		if !r.running && !now.Before(r.timeoutAt) {
			wait = time.Until(r.nextMinionTimeout())
		}
		wctx, cancel := context.WithTimeout(ctx, max(wait, time.Millisecond))
		ev, err := r.bus.Next(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return Return{}, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			return Return{}, err
		}
		r.handle(ev)
	}
}

func (r *Returns) allFound() bool {
	for _, id := range r.order {
		if !r.found[id] {
			return false
		}
	}
	return true
}

func (r *Returns) allTimedOut(now time.Time) bool {
	for _, id := range r.order {
		if !r.found[id] && now.Before(r.minionTO[id]) {
			return false
		}
	}
	return true
}

// nextMinionTimeout returns the earliest per-minion deadline still ahead.
func (r *Returns) nextMinionTimeout() time.Time {
	var t time.Time
	now := time.Now()
	for _, id := range r.order {
		to := r.minionTO[id]
		if r.found[id] || !to.After(now) {
			continue
		}
		if t.IsZero() || to.Before(t) {
			t = to
		}
	}
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// askRunning publishes saltutil.find_job to the minions that have not
// returned; their answers keep the wait going while they run the job.
func (r *Returns) askRunning(ctx context.Context) {
	var pending []any
	for _, id := range r.order {
		if !r.found[id] {
			pending = append(pending, id)
		}
	}
	if len(pending) == 0 {
		return
	}
	r.c.Log.Debug(fmt.Sprintf("Checking whether jid %s is still running", r.Job.JID))
	pctx, cancel := context.WithTimeout(ctx, r.opts.GatherJobTimeout)
	defer cancel()
	job, err := r.c.Publish(pctx, pending, "saltutil.find_job", []any{r.Job.JID}, PubOptions{TgtType: "list"})
	if err != nil {
		r.c.Log.Debug("saltutil.find_job not sent", "err", err)
		r.jinfoJID = ""
		return
	}
	r.jinfoJID = job.JID
}

func (r *Returns) handle(ev Event) {
	jobPrefix := "salt/job/" + r.Job.JID
	switch {
	case ev.Tag == jobPrefix || strings.HasPrefix(ev.Tag, jobPrefix+"/"):
		if mv, ok := ev.Data.Get("minions"); ok {
			for _, m := range anyStrings(mv) {
				r.addMinion(m)
			}
			if mv, ok := ev.Data.Get("missing"); ok {
				for _, m := range anyStrings(mv) {
					r.missing[m] = true
				}
			}
			return
		}
		if !strings.HasPrefix(ev.Tag, jobPrefix+"/ret/") {
			return
		}
		ret, ok := ev.Data.Get("return")
		if !ok {
			r.c.Log.Warn("Malformed event return: " + ev.Tag)
			return
		}
		id, _ := ev.Data.String("id")
		if id == "" {
			id = strings.TrimPrefix(ev.Tag, jobPrefix+"/ret/")
		}
		if r.found[id] {
			return
		}
		r.found[id] = true
		out, _ := ev.Data.String("out")
		rc := 0
		if v, ok := ev.Data.Get("retcode"); ok {
			if n, ok := data.AsInt(v); ok {
				rc = int(n)
			}
		}
		r.queue = append(r.queue, Return{ID: id, JID: r.Job.JID, Ret: ret, Out: out, Retcode: rc, Raw: ev.Data})
	case r.jinfoJID != "" && strings.HasPrefix(ev.Tag, "salt/job/"+r.jinfoJID+"/"):
		r.handleJobInfo(ev)
	}
}

// handleJobInfo applies Salt's rules to a saltutil.find_job answer.
func (r *Returns) handleJobInfo(ev Event) {
	id, _ := ev.Data.String("id")
	if v, ok := ev.Data.Get("retcode"); ok {
		if n, ok := data.AsInt(v); ok && n > 0 {
			r.c.Log.Error(fmt.Sprintf("saltutil returning errors on minion %s", id))
			delete(r.minions, id)
			r.order = remove(r.order, id)
			return
		}
	}
	if mv, ok := ev.Data.Get("minions"); ok {
		for _, m := range anyStrings(mv) {
			r.addMinion(m)
		}
		return
	}
	ret, ok := ev.Data.Get("return")
	if !ok || id == "" {
		return
	}
	rm, ok := ret.(*data.Map)
	if !ok {
		if ret != nil {
			r.c.Log.Error(fmt.Sprintf("unexpected return from minion: %v", ret))
		}
		return
	}
	if rm.Len() == 0 {
		return // the job is not running there any more
	}
	if inner, ok := rm.Get("return"); ok {
		if im, ok := inner.(*data.Map); ok && im.Len() == 0 {
			return
		}
	}
	r.addMinion(id)
	r.minionTO[id] = time.Now().Add(r.opts.Timeout)
	r.running = true
}

func remove(l []string, s string) []string {
	out := l[:0]
	for _, x := range l {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := data.AsString(e); ok {
			out = append(out, s)
		}
	}
	return out
}

// finish queues the minions that did not return (when asked to) and ends
// the iteration.
func (r *Returns) finish() {
	r.finished = true
	var silent []string
	if r.opts.ExpectMinions {
		for _, id := range r.order {
			if !r.found[id] {
				silent = append(silent, id)
			}
		}
	}
	var miss []string
	for id := range r.missing {
		if !r.found[id] {
			miss = append(miss, id)
		}
	}
	sort.Strings(miss)
	for _, id := range append(silent, miss...) {
		r.queue = append(r.queue, r.noReturn(id))
	}
}

// NoResponseText is the salt CLI's text for a minion that did not answer.
func NoResponseText(jid string) string {
	return "Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions will return upon completion. To look up the return data for this job later, run the following command:\n\nsalt-run jobs.lookup_jid " + jid
}

// NotConnectedText is the salt CLI's text for a minion known to the master
// that is not connected to it.
const NotConnectedText = "Minion did not return. [Not connected]"

func (r *Returns) noReturn(id string) Return {
	ret := Return{ID: id, JID: r.Job.JID, Out: "no_return", Retcode: 1, Failed: true, Ret: NoResponseText(r.Job.JID)}
	if r.notConnected(id) {
		ret.Ret = NotConnectedText
	}
	return ret
}

// notConnected applies Salt's rule: a minion is reported "[Not connected]"
// when the master caches its data, presence detection found some
// connected minions, and this one is not among them.
func (r *Returns) notConnected(id string) bool {
	if v, ok := r.c.Opts.Get("minion_data_cache"); ok && v == false {
		return false
	}
	if !HasMinionData(r.c.Opts, id) {
		return false
	}
	if r.connected == nil && r.connectedErr == nil {
		f := r.c.Connected
		if f == nil {
			f = func() (map[string]bool, error) { return ConnectedIDs(r.c.Opts) }
		}
		r.connected, r.connectedErr = f()
		if r.connectedErr != nil {
			r.c.Log.Debug("presence detection failed", "err", r.connectedErr)
		}
	}
	return len(r.connected) > 0 && !r.connected[id]
}

// Cmd publishes fun to tgt and gathers the returns, keyed by minion id.
// Minions that did not return are left out unless WithExpectMinions is
// given.
func (c *Client) Cmd(ctx context.Context, tgt any, fun string, args []any, opts ...CmdOption) (map[string]Return, error) {
	it, err := c.CmdIter(ctx, tgt, fun, args, opts...)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := map[string]Return{}
	err = it.Each(ctx, func(ret Return) error {
		out[ret.ID] = ret
		return nil
	})
	return out, err
}

// Each calls f with every return in turn, as Next gives them, until the
// returns end; it stops at the first error from Next (other than io.EOF)
// or from f and returns it.
func (r *Returns) Each(ctx context.Context, f func(Return) error) error {
	for {
		ret, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(ret); err != nil {
			return err
		}
	}
}
