package mount

import (
	"testing"

	"github.com/saltgo/saltgo/output"
)

// TestParseMounts: mount.active without extended is /proc/self/mounts
// (options of the mount and of the filesystem together) with `mount -l`'s
// source as alt_device. The want values are what a Python Salt 3007.14
// minion returned for these lines (live, docs/interop.md "Issue 13"); the
// duplicate and unlisted points are Python dict and _list.get behaviour.
func TestParseMounts(t *testing.T) {
	const mounts = `overlay / overlay rw,relatime,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on 0 0
none /dev tmpfs rw,relatime,size=492k,mode=755 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666,max=1028 0 0
tmpfs /srv/mnt/tmp tmpfs rw,relatime,size=8192k 0 0
tmpfs /srv/mnt/tmp tmpfs rw,relatime,size=4096k 0 0
/dev/sdz9 /srv/unlisted ext4 rw,relatime 0 0

`
	list := map[string]string{"/": "overlay", "/dev": "none", "/dev/pts": "devpts", "/srv/mnt/tmp": "tmpfs"}
	want := `{"/": {"device": "overlay", "alt_device": "overlay", "fstype": "overlay", "opts": ["rw", "relatime", "lowerdir=/l", "upperdir=/u", "workdir=/w", "uuid=on"]}, ` +
		`"/dev": {"device": "none", "alt_device": "none", "fstype": "tmpfs", "opts": ["rw", "relatime", "size=492k", "mode=755"]}, ` +
		`"/dev/pts": {"device": "devpts", "alt_device": "devpts", "fstype": "devpts", "opts": ["rw", "nosuid", "noexec", "relatime", "gid=5", "mode=620", "ptmxmode=666", "max=1028"]}, ` +
		`"/srv/mnt/tmp": {"device": "tmpfs", "alt_device": "tmpfs", "fstype": "tmpfs", "opts": ["rw", "relatime", "size=4096k"]}, ` +
		`"/srv/unlisted": {"device": "/dev/sdz9", "alt_device": null, "fstype": "ext4", "opts": ["rw", "relatime"]}}`
	got, err := output.DumpJSON(parseMounts(mounts, list), output.JSONOptions{Indent: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("parseMounts:\n got  %s\n want %s", got, want)
	}
}
