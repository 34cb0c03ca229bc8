package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable read.
const EnvPrefix = "GREENWAVE_"

// ConfigFlag is the flag naming the YAML file; Load registers it if the
// flag set lacks it.
const ConfigFlag = "config"

// EnvName is the environment variable that sets flag name:
// "controller-id" → GREENWAVE_CONTROLLER_ID.
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// Load parses args into fs, then fills every flag that args did not set
// from the environment (getenv, usually os.Getenv) or, failing that, from
// the YAML file named by --config (or GREENWAVE_CONFIG). A file key that
// names no flag is an error, so a typo in a config file is caught rather
// than silently ignored. Values go through the flags' own Set, so they are
// validated exactly as on the command line.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if fs.Lookup(ConfigFlag) == nil {
		fs.String(ConfigFlag, "", "YAML file of settings; keys are flag names (env "+EnvName(ConfigFlag)+")")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (every setting is a --flag)", fs.Arg(0))
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	setByFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setByFlag[f.Name] = true })

	fromEnv := map[string]bool{}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if setByFlag[f.Name] {
			return
		}
		v, ok := lookup(getenv, EnvName(f.Name))
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err))
			return
		}
		fromEnv[f.Name] = true
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	path := fs.Lookup(ConfigFlag).Value.String()
	if path == "" {
		return nil
	}
	values, err := readFile(path)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name := strings.ReplaceAll(key, "_", "-")
		f := fs.Lookup(name)
		if f == nil || name == ConfigFlag {
			errs = append(errs, fmt.Errorf("config file %s: unknown setting %q", path, key))
			continue
		}
		if setByFlag[name] || fromEnv[name] {
			continue
		}
		if err := fs.Set(name, values[key]); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: %s: %q: %w", path, key, values[key], err))
		}
	}
	return errors.Join(errs...)
}

// lookup treats a set-but-empty variable as unset, so `GREENWAVE_X=` in a
// unit file does not blank out a setting by accident.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// readFile reads a flat YAML mapping of setting → scalar.
func readFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for k, n := range raw {
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("config file %s: %s: must be a single value (line %d)", path, k, n.Line)
		}
		out[k] = n.Value
	}
	return out, nil
}

// Getenv is os.Getenv, the usual last argument of Load.
func Getenv(name string) string { return os.Getenv(name) }

// StringList is a flag holding a comma-separated list.
type StringList []string

// String renders the list as it is given.
func (l *StringList) String() string { return strings.Join(*l, ",") }

// Set replaces the list with the comma-separated values of s.
func (l *StringList) Set(s string) error {
	*l = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// Choice is a flag restricted to a fixed set of values.
type Choice struct {
	Value   string
	Allowed []string
}

// String is the current value.
func (c *Choice) String() string { return c.Value }

// Set accepts s only if it is one of the allowed values.
func (c *Choice) Set(s string) error {
	for _, a := range c.Allowed {
		if s == a {
			c.Value = s
			return nil
		}
	}
	return errors.New("must be one of " + strings.Join(quoteAll(c.Allowed), ", "))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
