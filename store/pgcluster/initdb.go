package pgcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// initIfNeeded runs initdb into a sibling directory and renames it into
// place, so a crash during initdb never leaves a half-made cluster at Dir.
func (c *Cluster) initIfNeeded(ctx context.Context, bins binaries, su serverUser) error {
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(c.Dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s has files but no PG_VERSION; move it away: %w", c.Dir, ErrNotDataDir)
	}
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(c.Dir), err)
	}
	tmp := c.Dir + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing leftover %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	if err := su.own(tmp, c.logger()); err != nil {
		return err
	}
	c.logger().Info("initialising postgres cluster", "dir", c.Dir, "version", bins.version)
	// Trust on the socket only: the socket is mode 0700 in a private
	// directory, and TCP is not even opened (host lines reject regardless).
	cmd := exec.CommandContext(ctx, bins.initdb, "-D", tmp, "-U", User,
		"--auth-local=trust", "--auth-host=reject",
		"--encoding=UTF8", "--locale=C", "--no-instructions")
	cmd.SysProcAttr = su.sysProcAttr()
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("initdb: %w: %s", err, lastLines(out, 10))
	}
	if err := os.RemoveAll(c.Dir); err != nil { // an empty dir left by an earlier attempt
		return fmt.Errorf("replacing %s: %w", c.Dir, err)
	}
	if err := os.Rename(tmp, c.Dir); err != nil {
		return fmt.Errorf("moving new cluster into place: %w", err)
	}
	return nil
}
