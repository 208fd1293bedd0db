// Package atomicfile writes files so that a crash at any moment leaves
// either the old content or the new, never a mix: temp file in the same
// directory, fsync, rename, fsync of the directory.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data so that after a crash at any
// moment the file holds either the old or the new content: it writes a
// temporary file in the same directory (rename is only atomic within a
// file system), fsyncs it, renames it over path and fsyncs the directory so
// the rename itself is durable.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteAs(path, data, perm, -1, -1)
}

// WriteAs is Write giving the new file the owner uid and group gid (-1
// leaves either as the process's). A rename replaces the inode, so without
// it a file rewritten by root would stop being readable by the user it
// belonged to. Where we may not give the file away (not root), the file is
// ours, as any file we create.
func WriteAs(path string, data []byte, perm os.FileMode, uid, gid int) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if uid >= 0 || gid >= 0 {
		if cerr := tmp.Chown(uid, gid); cerr != nil && !errors.Is(cerr, syscall.EPERM) {
			return cerr
		}
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory; file systems and platforms that cannot sync
// directories report EINVAL or similar, which is not a failure of ours.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
