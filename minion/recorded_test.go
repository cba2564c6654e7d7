package minion

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// TestRecordedPublishes runs the recorded real-master publishes through the
// minion's own publish path (signature, decryption, serial, targeting, jid
// de-dup, job start) with the recorded keys: cn1.test must run #10, #15,
// #20 and #25 and ignore #30 (nomatch*); replaying #10 must be refused.
func TestRecordedPublishes(t *testing.T) {
	for _, rel := range wiretest.Releases {
		t.Run(rel, func(t *testing.T) {
			conv := wiretest.Load(t, rel, "conversation.json")
			var mu sync.Mutex
			var ran []string
			exec := ExecutorFunc(func(_ context.Context, c *Call) Return {
				jid, _ := c.Pub.String("jid")
				mu.Lock()
				ran = append(ran, c.Fun+" "+jid)
				mu.Unlock()
				return Return{Return: true}
			})
			dir := t.TempDir()
			m, err := New(Settings{ID: conv.MinionID, PKIDir: filepath.Join(dir, "pki"), CacheDir: filepath.Join(dir, "cache")},
				Options{Executor: exec, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			aes, _ := crypt.NewCrypticle(conv.Keys.AESKeys[0])
			pem := wiretest.ReadFile(t, rel, "master.pub")
			pub, err := crypt.ParsePublicKeyPEM(pem)
			if err != nil {
				t.Fatal(err)
			}
			m.cur = &creds{gen: conv.ProtocolGeneration, aes: aes}
			m.masterPub = &masterKey{pub: pub, pem: pem}
			if m.retq, err = openReturnQueue(filepath.Join(dir, "q"), 10, m.log); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var first []byte
			for _, msg := range conv.Messages {
				if msg.Direction != "master->minion pub" {
					continue
				}
				body := msg.Body(t)
				if first == nil {
					first = body
				}
				m.handlePublish(ctx, body)
			}
			m.handlePublish(ctx, first) // replay
			m.wg.Wait()
			if len(ran) != 4 || m.retq.pending() != 4 {
				t.Fatalf("ran %v, %d returns queued; want 4", ran, m.retq.pending())
			}
		})
	}
}
