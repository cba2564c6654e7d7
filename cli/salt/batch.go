package salt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/data"
)

// gatherMinions pings the target as Salt's Batch does before a batch or
// --static run: it returns the minions that answered (in answer order) and
// those the master expected that did not.
func (s *session) gatherMinions(ctx context.Context) (up, down []string, err error) {
	it, err := s.cl.CmdIter(ctx, s.job.tgt, "test.ping", nil, client.WithTgtType(s.job.tgtType))
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	seen := map[string]bool{}
	err = it.Each(ctx, func(ret client.Return) error {
		if !ret.Failed && !seen[ret.ID] {
			seen[ret.ID] = true
			up = append(up, ret.ID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, id := range it.Job.Minions {
		if !seen[id] {
			down = append(down, id)
		}
	}
	return up, down, nil
}

// runStatic is salt --static: the minions that answer a ping run the job,
// and all returns are printed as one document once they are in. Minions
// that do not answer are left out, and the exit code is 0 unless nothing
// returned at all.
func (s *session) runStatic(ctx context.Context) int {
	up, _, err := s.gatherMinions(ctx)
	switch {
	case errors.Is(err, client.ErrNoMinions):
		fmt.Fprintln(s.stdio.Stdout, err.Error())
	case err != nil:
		return s.fail(err)
	}
	all := data.NewMap()
	if len(up) > 0 {
		it, err := s.cl.CmdIter(ctx, data.List(up), s.job.fun, s.job.args, append(s.cmdOptions("list"), client.WithExpectMinions(), withExtra(s.job.extra))...)
		if err != nil && !errors.Is(err, client.ErrNoMinions) {
			return s.fail(err)
		}
		if err == nil {
			defer it.Close()
			err := it.Each(ctx, func(ret client.Return) error {
				if ret.Failed {
					all.Set(ret.ID, data.NewMap())
				} else {
					all.Set(ret.ID, ret.Ret)
				}
				return nil
			})
			if err != nil {
				return s.fail(err)
			}
		}
	}
	out := ""
	if s.printer.Out == "" && strings.HasPrefix(s.job.fun, "state.") {
		out = "highstate"
	}
	if s.job.fun == "sys.doc" {
		return s.printDocs(all)
	}
	return s.output(all, out, 0)
}

// batchSize is Salt's Batch.get_bnum: "10" minions, or "10%" of them
// (rounded down, at least one when the share is below one minion).
func batchSize(spec string, n int) (int, error) {
	if strings.Contains(spec, "%") {
		f, err := strconv.ParseFloat(strings.Trim(spec, "%"), 64)
		if err != nil {
			return 0, err
		}
		res := f / 100 * float64(n)
		if res < 1 {
			return int(math.Ceil(res)), nil
		}
		return int(res), nil
	}
	return strconv.Atoi(strings.TrimSpace(spec))
}

// batchReturn is one return of a batch sub-job, or the end of a sub-job.
type batchReturn struct {
	ret  client.Return
	done []string // set when the sub-job ended: its minions
	err  error
}

// runBatch is salt -b: the minions that answer a ping run the job, at most
// size of them at a time; every return is printed as it arrives, with its
// jid and retcode, and the exit code is the highest retcode.
func (s *session) runBatch(ctx context.Context, spec string, failhard bool) int {
	up, down, err := s.gatherMinions(ctx)
	switch {
	case errors.Is(err, client.ErrNoMinions):
		fmt.Fprintln(s.stdio.Stdout, err.Error())
		fmt.Fprintln(s.stdio.Stdout, "No minions matched the target.")
		return exitOK
	case err != nil:
		return s.fail(err)
	}
	size, err := batchSize(spec, len(up))
	if err != nil || size < 1 && len(up) > 0 {
		fmt.Fprintf(s.stdio.Stdout, "Invalid batch data sent: %s\nData must be in the form of %%10, 10%% or 3\n", spec)
		return exitGeneric
	}
	for _, id := range down {
		fmt.Fprintf(s.stdio.Stdout, "Minion %s did not respond. No job will be sent.\n", id)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan batchReturn)
	toRun := append([]string(nil), up...)
	active := map[string]bool{}
	pending := 0
	retcode := 0
	start := func(ids []string) {
		sorted := append([]string(nil), ids...)
		sort.Strings(sorted)
		fmt.Fprintf(s.stdio.Stdout, "\nExecuting run on %s\n\n", data.Repr(data.List(sorted)))
		for _, id := range ids {
			active[id] = true
		}
		pending++
		go s.subJob(ctx, ids, results)
	}
	for len(toRun) > 0 || pending > 0 {
		if n := size - len(active); n > 0 && len(toRun) > 0 {
			if len(toRun) <= size && len(active) == 0 {
				n = len(toRun)
			}
			var next []string
			for i := 0; i < n && len(toRun) > 0; i++ {
				next = append(next, toRun[len(toRun)-1])
				toRun = toRun[:len(toRun)-1]
			}
			start(next)
			continue
		}
		var br batchReturn
		select {
		case br = <-results:
		case <-ctx.Done():
			return s.fail(ctx.Err())
		}
		if br.err != nil {
			cancel()
			return s.fail(br.err)
		}
		if br.done != nil {
			pending--
			for _, id := range br.done {
				delete(active, id)
			}
			continue
		}
		delete(active, br.ret.ID)
		rc := 0
		shown := data.NewMap()
		if br.ret.Failed {
			shown.Set(br.ret.ID, data.NewMap())
		} else {
			rc = retcodeOf(br.ret)
			if br.ret.Raw != nil && br.ret.Raw.Has("retcode") {
				shown.Set("retcode", int64(rc))
			}
			shown.Set("jid", br.ret.JID)
			shown.Set(br.ret.ID, br.ret.Ret)
		}
		retcode = max(retcode, rc)
		out := br.ret.Out
		if br.ret.Failed {
			out = ""
		}
		s.printer.Opts.Retcode = 0
		if err := s.printer.Print(shown, out); err != nil {
			fmt.Fprintf(s.stdio.Stderr, "%s\n", err)
			return exitGeneric
		}
		if failhard && rc > 0 {
			s.log.Error(fmt.Sprintf("Minion %s returned with non-zero exit code. Batch run stopped due to failhard", br.ret.ID))
			return retcode
		}
	}
	return retcode
}

// subJob runs one batch of minions and sends their returns, then its end.
func (s *session) subJob(ctx context.Context, ids []string, results chan<- batchReturn) {
	send := func(br batchReturn) bool {
		select {
		case results <- br:
			return true
		case <-ctx.Done():
			return false
		}
	}
	it, err := s.cl.CmdIter(ctx, data.List(ids), s.job.fun, s.job.args, append(s.cmdOptions("list"), client.WithExpectMinions(), withExtra(s.job.extra))...)
	if err != nil {
		if errors.Is(err, client.ErrNoMinions) {
			send(batchReturn{done: ids})
			return
		}
		send(batchReturn{err: err})
		return
	}
	defer it.Close()
	for {
		ret, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			send(batchReturn{done: ids})
			return
		}
		if err != nil {
			send(batchReturn{err: err})
			return
		}
		if !send(batchReturn{ret: ret}) {
			return
		}
	}
}
