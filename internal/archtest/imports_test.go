package archtest

import (
	"bufio"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/greenwave-project/greenwave"

// rule is one row of docs/architecture.md's package table.
type rule struct {
	pattern  string   // "wire", or "internal/..." for a subtree
	internal []string // project packages it may import (patterns too); "anything"
	external []string // modules outside std it may import; "anything"
}

func (r rule) covers(pkg string) bool {
	if prefix, ok := strings.CutSuffix(r.pattern, "/..."); ok {
		return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
	}
	return pkg == r.pattern
}

// specificity ranks exact rows above subtree rows, longer above shorter.
func (r rule) specificity() int {
	if strings.HasSuffix(r.pattern, "/...") {
		return len(r.pattern)
	}
	return 1 << 20
}

// engineForbidden are the standard packages the decision engine may not
// import: it does no I/O, starts no goroutine and draws no random number.
var engineForbidden = []string{"os", "io/fs", "net", "sync", "math/rand", "crypto/rand"}

func TestImportsFollowArchitecture(t *testing.T) {
	rules := readRules(t, filepath.Join(repoRoot(t), "docs", "architecture.md"))
	for _, p := range listPackages(t) {
		if err := checkPackage(rules, p); err != nil {
			t.Error(err)
		}
	}
}

// TestCheckerCatchesAForbiddenImport makes sure the checker can fail: the
// rows it reads, given imports they forbid.
func TestCheckerCatchesAForbiddenImport(t *testing.T) {
	rules := readRules(t, filepath.Join(repoRoot(t), "docs", "architecture.md"))
	for _, bad := range []pkgInfo{
		{Path: "signals", Imports: []string{module + "/controller"}},
		{Path: "wire", Imports: []string{"go.uber.org/zap"}},
		{Path: "controller", Imports: []string{"os"}},
		{Path: "controller", Imports: []string{"sync/atomic"}},
		{Path: "internal/rsu", Imports: []string{module + "/cmd/greenwave"}},
		{Path: "newpkg", Imports: nil},
	} {
		require.Error(t, checkPackage(rules, bad), "%+v", bad)
	}
	require.NoError(t, checkPackage(rules, pkgInfo{Path: "routing", Imports: []string{module + "/wire", "github.com/tidwall/rtree", "os"}}))
}

type pkgInfo struct {
	Path    string // relative to the module
	Imports []string
}

func checkPackage(rules []rule, p pkgInfo) error {
	var best *rule
	for i := range rules {
		if rules[i].covers(p.Path) && (best == nil || rules[i].specificity() > best.specificity()) {
			best = &rules[i]
		}
	}
	if best == nil {
		return fmt.Errorf("package %s has no row in docs/architecture.md's package table: add one saying what it is and what it may import", p.Path)
	}
	var bad []string
	for _, imp := range p.Imports {
		if !allowed(*best, p.Path, imp) {
			bad = append(bad, imp)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("package %s imports %s, which its row (%s) in docs/architecture.md does not allow", p.Path, strings.Join(bad, ", "), best.pattern)
	}
	return nil
}

func allowed(r rule, pkg, imp string) bool {
	if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
		if rel == "cmd" || strings.HasPrefix(rel, "cmd/") {
			return false // nothing imports cmd
		}
		for _, a := range r.internal {
			if a == "anything" || (rule{pattern: a}).covers(rel) {
				return true
			}
		}
		return false
	}
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") { // the standard library
		if pkg == "controller" {
			for _, f := range engineForbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					return false
				}
			}
		}
		return true
	}
	for _, a := range r.external {
		if a == "anything" || imp == a || strings.HasPrefix(imp, a+"/") {
			return true
		}
	}
	return false
}

// readRules parses the package table: rows of four cells whose first is a
// backticked package pattern.
func readRules(t *testing.T, path string) []rule {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var rules []rule
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			continue
		}
		rules = append(rules, rule{pattern: strings.Trim(strings.TrimSpace(cells[0]), "`"),
			internal: names(cells[2]), external: names(cells[3])})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rules, "no package table in %s", path)
	return rules
}

// names reads a cell like "`wire`, `signals`", "—" (none) or "anything".
func names(cell string) []string {
	var out []string
	for _, n := range strings.Split(cell, ",") {
		n = strings.Trim(strings.TrimSpace(n), "`")
		if n != "" && n != "—" {
			out = append(out, n)
		}
	}
	return out
}

// listPackages reads every package's imports with go/build (not `go list`
// in a subprocess), so that the files it reads are the test's own inputs
// and `go test` re-runs it when an import changes instead of reusing a
// cached pass.
func listPackages(t *testing.T) []pkgInfo {
	root := repoRoot(t)
	var pkgs []pkgInfo
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		bp, err := build.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		pkgs = append(pkgs, pkgInfo{Path: filepath.ToSlash(rel), Imports: bp.Imports})
		return nil
	})
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(pkgs, func(p pkgInfo) bool { return p.Path == "controller" }), "found no controller package")
	return pkgs
}

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}
