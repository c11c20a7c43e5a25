package follow

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Source is what a File follows: a file, or a set of files read as one (a mounted
// ConfigMap).
type Source interface {
	// Stat returns the stamp of the content: when it is the same, the content is taken to
	// be too; when it moves during a Read, the Read is discarded.
	Stat() (Stamp, error)
	Read() ([]byte, error)
	String() string // names the source in errors
}

// Stamp is what a stat tells of content. Two stamps are equal when nothing was seen to
// change. Mod and Change are Unix nanoseconds.
type Stamp struct {
	Dev, Ino    uint64
	Size        int64
	Mod, Change int64
	// Target is the version directory of a mounted ConfigMap the content is read from (the
	// target of its ..data symlink), "" outside such mounts.
	Target string
}

// replaces reports whether s names content replaced whole since prev: a new version of a
// mounted ConfigMap, or a new file whose last change came after its last write (a rename
// or a link into place: a write sets both times).
func (s Stamp) replaces(prev Stamp) bool {
	if s.Target != "" {
		return s.Target != prev.Target
	}
	return s.Ino != 0 && (s.Ino != prev.Ino || s.Dev != prev.Dev) && s.Change > s.Mod
}

// Path is the Source of one file.
type Path string

func (p Path) String() string { return string(p) }

func (p Path) Read() ([]byte, error) { return os.ReadFile(string(p)) }

// Stat stamps the file. A key of a mounted ConfigMap (a symlink to ..data/KEY) is stamped
// with the version it is read from.
func (p Path) Stat() (Stamp, error) {
	fi, err := os.Stat(string(p))
	if err != nil {
		return Stamp{}, err
	}
	st := stamp(fi)
	if link, err := os.Readlink(string(p)); err == nil && strings.HasPrefix(link, DataLink+"/") {
		if st.Target, err = DataTarget(filepath.Dir(string(p))); err != nil {
			return Stamp{}, err
		}
	}
	return st, nil
}

// DataLink is the symlink the kubelet points at the current version of a mounted ConfigMap.
const DataLink = "..data"

// DataTarget returns the version directory a mounted ConfigMap's dir points at, "" if dir
// is not such a mount.
func DataTarget(dir string) (string, error) {
	t, err := os.Readlink(filepath.Join(dir, DataLink))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return t, err
}
