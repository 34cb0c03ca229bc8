package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/config"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/ntcip"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/routing"
)

func init() {
	// snmpd runs this binary as the virtual controller's pass_persist
	// relay; in that role it does nothing else.
	ntcip.RunRelayIfRequested()
	register(command{name: "vcontroller", summary: "a virtual NTCIP 1202 signal controller over SNMP (behind snmpd), for testing gateways", run: runVController})
}

func runVController(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vcontroller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mapFile := fs.String("map", "", "map file (GeoJSON, map-format.md) (required)")
	id := fs.String("intersection", "", "the intersection of the map this controller runs (required)")
	listen := fs.String("listen", "127.0.0.1:16100", "UDP address snmpd listens on (host:port)")
	community := fs.String("community", "", "read-write community for SNMPv1/v2c (empty: v1/v2c off)")
	var u ntcip.V3User
	fs.StringVar(&u.Name, "v3-user", "", "SNMPv3 user, read-write at authPriv (empty: no v3)")
	fs.StringVar(&u.Auth, "v3-auth", "SHA", "SNMPv3 authentication protocol: "+strings.Join(ntcip.AuthProtocols, ", "))
	fs.StringVar(&u.AuthPassphrase, "v3-auth-passphrase", "", "SNMPv3 authentication passphrase, at least 8 characters (prefer "+config.EnvName("v3-auth-passphrase")+")")
	fs.StringVar(&u.Priv, "v3-priv", "AES", "SNMPv3 privacy protocol: "+strings.Join(ntcip.PrivProtocols, ", "))
	fs.StringVar(&u.PrivPassphrase, "v3-priv-passphrase", "", "SNMPv3 privacy passphrase, at least 8 characters (prefer "+config.EnvName("v3-priv-passphrase")+")")
	inputs := fs.String("preempt-inputs", "", "preempt inputs as INPUT=PHASE,... (default: input i dwells on the phase of the intersection's i-th approach)")
	noState := fs.Bool("without-preempt-state", false, "leave out the optional preemptState object, as some controllers do")
	backup := fs.Duration("backup-time", 0, "initial unitBackupTime: with no control write for this long, every control object resets to 0 (0 disables)")
	cycle := fs.Duration("cycle", rsu.DefaultCycle, "cycle length of the normal plan")
	mainShare := fs.Float64("main-share", rsu.DefaultMainShare, "share of green time given to the main street (NEMA phases 1, 2, 5, 6)")
	snmpd := fs.String("snmpd", "", "snmpd to run (default: $GREENWAVE_SNMPD, $PATH, /usr/sbin/snmpd)")
	logFormat := &config.Choice{Value: logx.FormatJSON, Allowed: logx.Formats}
	fs.Var(logFormat, "log-format", "log format: json or console")
	logLevel := &config.Choice{Value: "info", Allowed: logx.Levels}
	fs.Var(logLevel, "log-level", "least severe level logged: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: greenwave vcontroller --map FILE --intersection ID [--listen ADDR] [--community C] [--v3-user U ...] [flags]\n\n"+
			"Runs one intersection's controller behind Debian's snmpd (apt-get install snmpd): SNMPv1/v2c/v3 by snmpd,\n"+
			"the NTCIP 1202 objects (docs/ntcip.md) by greenwave's roadside model.\n"+
			"Every flag can also be set as GREENWAVE_<NAME> in the environment or as <name>: in the --config YAML file (flags win).")
		fs.PrintDefaults()
	}
	if err := config.Load(fs, args, config.Getenv); err != nil {
		return err
	}
	if *mapFile == "" || *id == "" {
		fs.Usage()
		return errors.New("--map and --intersection are required")
	}
	log, err := logx.New(stderr, logFormat.Value, logLevel.Value)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	net, err := routing.LoadMapFile(*mapFile)
	if err != nil {
		return err
	}
	ii, ok := net.IntersectionByID(*id)
	if !ok {
		return fmt.Errorf("--intersection: no intersection %q in %s", *id, *mapFile)
	}
	in := net.Intersection(ii)
	plan, timing, err := in.NormalPlan(*cycle, *mainShare)
	if err != nil {
		return fmt.Errorf("intersection %s: %w", *id, err)
	}
	mapping, err := parseInputs(*inputs, in)
	if err != nil {
		return fmt.Errorf("--preempt-inputs: %w", err)
	}
	var users []ntcip.V3User
	if u.Name != "" {
		if err := u.Validate("--v3-"); err != nil {
			return err
		}
		users = append(users, u)
	}
	v, err := ntcip.NewVirtual(*id, plan, timing, ntcip.VirtualOptions{Logger: log, PreemptInputs: mapping, BackupTime: *backup, WithoutPreemptState: *noState})
	if err != nil {
		return err
	}
	agent, err := ntcip.StartAgent(ctx, v, ntcip.AgentOptions{Listen: *listen, Community: *community, Users: users, Snmpd: *snmpd, Logger: log})
	if err != nil {
		return err
	}
	defer agent.Close()
	var desc []string
	for _, n := range sortedInputs(mapping) {
		desc = append(desc, strconv.Itoa(n)+"="+strconv.Itoa(mapping[n]))
	}
	log.Info("vcontroller up", zap.String("intersection_id", *id), zap.String("listen", *listen),
		zap.Bool("v1_v2c", *community != ""), zap.Bool("v3", u.Name != ""), zap.String("preempt_inputs", strings.Join(desc, ",")),
		zap.Duration("backup_time", *backup))
	select {
	case <-ctx.Done():
	case <-agent.Done():
		return errors.New("snmpd exited:\n" + agent.Output())
	}
	log.Info("vcontroller stopped")
	return nil
}

// parseInputs reads INPUT=PHASE,...; empty: input i dwells on the phase of
// the intersection's i-th approach.
func parseInputs(s string, in *routing.Intersection) (map[int]int, error) {
	out := map[int]int{}
	if strings.TrimSpace(s) == "" {
		for i, a := range in.Approaches {
			out[i+1] = a.Phase
		}
		if len(out) == 0 {
			return nil, errors.New("the intersection has no approaches")
		}
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err1 := strconv.Atoi(k)
		p, err2 := strconv.Atoi(v)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not INPUT=PHASE", part)
		}
		if _, dup := out[n]; dup {
			return nil, fmt.Errorf("input %d given twice", n)
		}
		out[n] = p
	}
	return out, nil
}

func sortedInputs(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}
