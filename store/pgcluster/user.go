package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is the account postgres runs as. PostgreSQL refuses to run as
// root, so when Kiln runs as root the server runs as the "postgres" account
// (present wherever Debian's server package is installed) or else "nobody".
type serverUser struct {
	uid, gid uint32
	name     string
	switched bool // true when the server runs under another account than ours
}

func pickServerUser() (serverUser, error) {
	if os.Geteuid() != 0 {
		return serverUser{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return serverUser{uid: uint32(uid), gid: uint32(gid), name: name, switched: true}, nil
	}
	return serverUser{}, errors.New("running as root and no unprivileged account (postgres, nobody) to run the PostgreSQL server as")
}

// sysProcAttr returns the process attributes that make a child run as u, in
// its own process group so a terminal's Ctrl-C reaches Kiln, which then
// stops the server in order.
func (u serverUser) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if u.switched {
		attr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
	return attr
}

// own hands dir (recursively) to the server account and makes sure that
// account can reach it: each ancestor directory gets the search (x) bit for
// others if it lacks it. Search permission lets the account open paths below,
// not list or read the directories.
func (u serverUser) own(dir string, logger *slog.Logger) error {
	if !u.switched {
		return nil
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
	if err != nil {
		return fmt.Errorf("handing %s to the %s account: %w", dir, u.name, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("checking %s: %w", p, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("letting the %s account reach %s: %w", u.name, dir, err)
			}
			logger.Info("added search permission so the postgres server account can reach its data", "dir", p, "account", u.name)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
