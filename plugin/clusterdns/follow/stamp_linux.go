package follow

import (
	"io/fs"
	"syscall"
)

func stamp(fi fs.FileInfo) Stamp {
	st := Stamp{Size: fi.Size(), Mod: fi.ModTime().UnixNano()}
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Dev, st.Ino, st.Change = uint64(s.Dev), uint64(s.Ino), s.Ctim.Nano()
	}
	return st
}
