package minion

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/saltgo/saltgo/data"
)

// Job is a running job, as saltutil.running / find_job report it.
type Job struct {
	JID     string
	Fun     any // string, or a list for multi-function jobs
	Arg     any
	Pub     *data.Map
	Started time.Time

	cancel context.CancelFunc
}

// Data returns the job the way saltutil.find_job shows it: the publish data
// plus pid.
func (j *Job) Data() *data.Map {
	d := j.Pub.Copy()
	d.Set("pid", int64(pid))
	return d
}

type jobTable struct {
	mu   sync.Mutex
	jobs map[string]*Job
}

func newJobTable() *jobTable { return &jobTable{jobs: map[string]*Job{}} }

func (t *jobTable) add(j *Job) {
	t.mu.Lock()
	t.jobs[j.JID] = j
	t.mu.Unlock()
}

func (t *jobTable) remove(jid string) {
	t.mu.Lock()
	delete(t.jobs, jid)
	t.mu.Unlock()
}

func (t *jobTable) cancelAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, j := range t.jobs {
		j.cancel()
	}
}

// Running returns the data of the running jobs, oldest first
// (saltutil.running).
func (m *Minion) Running() []*data.Map {
	m.jobs.mu.Lock()
	js := make([]*Job, 0, len(m.jobs.jobs))
	for _, j := range m.jobs.jobs {
		js = append(js, j)
	}
	m.jobs.mu.Unlock()
	sort.Slice(js, func(a, b int) bool { return js[a].Started.Before(js[b].Started) })
	out := make([]*data.Map, len(js))
	for i, j := range js {
		out[i] = j.Data()
	}
	return out
}

// FindJob returns the data of a running job, or an empty map when jid is not
// running (saltutil.find_job).
func (m *Minion) FindJob(jid string) *data.Map {
	m.jobs.mu.Lock()
	j := m.jobs.jobs[jid]
	m.jobs.mu.Unlock()
	if j == nil {
		return data.NewMap()
	}
	return j.Data()
}

// KillJob cancels a running job's context and reports whether it was
// running (saltutil.kill_job / term_job).
func (m *Minion) KillJob(jid string) bool {
	m.jobs.mu.Lock()
	j := m.jobs.jobs[jid]
	m.jobs.mu.Unlock()
	if j == nil {
		return false
	}
	j.cancel()
	return true
}

// startJob runs the job in its own goroutine and context.
func (m *Minion) startJob(ctx context.Context, pub *data.Map) {
	jid, _ := pub.String("jid")
	fun, _ := pub.Get("fun")
	arg, _ := pub.Get("arg")
	var jctx context.Context
	var cancel context.CancelFunc
	if m.s.JobTimeout > 0 {
		jctx, cancel = context.WithTimeout(ctx, m.s.JobTimeout)
	} else {
		jctx, cancel = context.WithCancel(ctx)
	}
	j := &Job{JID: jid, Fun: fun, Arg: arg, Pub: pub, Started: time.Now(), cancel: cancel}
	m.jobs.add(j)
	m.log.Info("executing job", "jid", jid, "fun", fun)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		ret := m.execute(jctx, pub)
		m.jobs.remove(jid)
		if err := m.retq.enqueue(ret); err != nil {
			m.log.Error("could not queue the job return", "jid", jid, "err", err)
			return
		}
		m.log.Info("job done, return queued", "jid", jid, "fun", fun)
	}()
}

// execute runs the job's function(s) and builds the _return load exactly
// like Salt's Minion._thread_return / _thread_multi_return.
func (m *Minion) execute(ctx context.Context, pub *data.Map) *data.Map {
	jid, _ := pub.String("jid")
	fun, _ := pub.Get("fun")
	arg, _ := pub.Get("arg")
	ret := data.M("cmd", "_return", "id", m.s.ID)
	if funs, ok := fun.([]any); ok {
		args, _ := arg.([]any)
		rets, codes, succ := data.NewMap(), data.NewMap(), data.NewMap()
		for i, f := range funs {
			fs, _ := data.AsString(f)
			var a []any
			if i < len(args) {
				a, _ = args[i].([]any)
			}
			r, rc, _ := m.call(ctx, fs, a, pub)
			rets.Set(fs, r)
			codes.Set(fs, int64(rc))
			succ.Set(fs, rc == 0)
		}
		ret.Set("success", succ)
		ret.Set("return", rets)
		ret.Set("retcode", codes)
	} else {
		fs, _ := data.AsString(fun)
		args, ok := arg.([]any)
		if !ok && arg != nil {
			args = []any{arg}
		}
		r, rc, out := m.call(ctx, fs, args, pub)
		ret.Set("success", rc == 0)
		ret.Set("return", r)
		ret.Set("retcode", int64(rc))
		if out != "" {
			ret.Set("out", out)
		}
	}
	ret.Set("jid", jid)
	ret.Set("fun", fun)
	if arg == nil {
		arg = []any{}
	}
	ret.Set("fun_args", arg)
	for _, k := range []string{"user", "master_id", "metadata"} {
		if v, ok := pub.Get(k); ok {
			ret.Set(k, v)
		}
	}
	if o, ok := ret.Get("out"); ok { // Salt puts out after user
		ret.Delete("out")
		ret.Set("out", o)
	}
	ret.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	return ret
}

// call runs one function through the executor, with the minion's grains
// and pillar as they are now.
func (m *Minion) call(ctx context.Context, fun string, args []any, pub *data.Map) (ret any, retcode int, out string) {
	m.stateMu.RLock()
	grains, pillar := m.grains, m.pillar
	m.stateMu.RUnlock()
	if grains == nil {
		grains = data.M("id", m.s.ID)
	}
	if pillar == nil {
		pillar = data.NewMap()
	}
	r := m.opts.Executor.Run(ctx, &Call{Fun: fun, Args: args, Pub: pub, Grains: grains, Pillar: pillar, Minion: m})
	if r.Retcode != 0 {
		m.log.Debug("job function failed", "fun", fun, "retcode", r.Retcode)
	}
	return data.Normalize(r.Return), r.Retcode, r.Out
}
