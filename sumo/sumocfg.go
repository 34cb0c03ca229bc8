package sumo

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SumoCfg is what greenwave reads of a SUMO configuration file: where the
// network and the routes are and the time settings. Paths are resolved
// against the configuration's directory, as SUMO does.
type SumoCfg struct {
	NetFile     string
	RouteFiles  []string
	BeginS      float64 // 0 when not given
	EndS        float64 // 0 when not given (SUMO then runs until no vehicle is left)
	StepLengthS float64 // 1 when not given
}

// maxSumoCfgBytes bounds a configuration file: they are a few KiB.
const maxSumoCfgBytes = 1 << 20

// ReadSumoCfg reads a .sumocfg.
func ReadSumoCfg(path string) (*SumoCfg, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg := &SumoCfg{StepLengthS: 1}
	dir := filepath.Dir(path)
	dec := xml.NewDecoder(io.LimitReader(f, maxSumoCfgBytes))
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: XML: %w", path, err)
		}
		e, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if e.Name.Local != "configuration" && e.Name.Local != "sumoConfiguration" {
				return nil, fmt.Errorf("%s: not a SUMO configuration (root element <%s>)", path, e.Name.Local)
			}
			sawRoot = true
			continue
		}
		value, has := attr(e, "value")
		if !has {
			continue
		}
		line, _ := dec.InputPos()
		number := func() (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return 0, fmt.Errorf("%s: line %d: <%s> value %q is not a time in seconds", path, line, e.Name.Local, value)
			}
			return v, nil
		}
		switch e.Name.Local {
		case "net-file":
			cfg.NetFile = filepath.Join(dir, value)
		case "route-files":
			for _, r := range strings.Split(value, ",") {
				if r = strings.TrimSpace(r); r != "" {
					cfg.RouteFiles = append(cfg.RouteFiles, filepath.Join(dir, r))
				}
			}
		case "begin":
			if cfg.BeginS, err = number(); err != nil {
				return nil, err
			}
		case "end":
			if cfg.EndS, err = number(); err != nil {
				return nil, err
			}
		case "step-length":
			if cfg.StepLengthS, err = number(); err != nil {
				return nil, err
			}
			if cfg.StepLengthS == 0 {
				return nil, fmt.Errorf("%s: line %d: step-length must be positive", path, line)
			}
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("%s: empty configuration", path)
	}
	if cfg.NetFile == "" {
		return nil, errors.New(path + ": no net-file: greenwave needs the network the configuration runs")
	}
	return cfg, nil
}

// SumoCfgNetFile returns the network file a configuration runs.
func SumoCfgNetFile(path string) (string, error) {
	cfg, err := ReadSumoCfg(path)
	if err != nil {
		return "", err
	}
	return cfg.NetFile, nil
}
