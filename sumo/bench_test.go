package sumo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkImportLuxembourg reads the shipped Luxembourg network (gzipped,
// 12 MB of XML) and imports it.
func BenchmarkImportLuxembourg(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n, err := ReadNetFile("scenarios/luxembourg/luxembourg.net.xml.gz")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Import(n, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The co-simulation's cost over SUMO's own (docs/sumo.md): the shipped
// Luxembourg scenario run by sumo alone, and one strategy run of the
// co-simulation: none (the units watching every signal, the ambulances,
// no engine: the same traffic as sumo alone plus 24 ambulances) and
// greenwave (the engine, preempts, fixes: traffic changed by the
// preempts), each reporting the wall time of one run and the CPU
// time of SUMO and of this process together. Run them one after the other
// on an otherwise idle machine:
//
//	go test ./sumo -run '^$' -bench 'Luxembourg(SUMOAlone|CoSim)' -benchtime 3x
func BenchmarkLuxembourgSUMOAlone(b *testing.B) {
	requireSUMO(b)
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		// With the tripinfo output the co-simulation asks SUMO for.
		cmd := exec.Command("sumo", "-c", "scenarios/luxembourg/luxembourg.sumocfg", "--no-step-log",
			"--tripinfo-output", filepath.Join(b.TempDir(), "tripinfo.xml"), "--tripinfo-output.write-unfinished")
		cmd.Env = append(os.Environ(), "SUMO_HOME=/usr/share/sumo")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	cpu.report(b)
}

func BenchmarkLuxembourgCoSim(b *testing.B) {
	for _, strategy := range []string{"none", "greenwave"} {
		b.Run(strategy, func(b *testing.B) { benchmarkLuxembourgCoSim(b, strategy) })
	}
}

func benchmarkLuxembourgCoSim(b *testing.B, strategy string) {
	requireSUMO(b)
	sc, err := LoadScenario("scenarios/luxembourg/luxembourg.yaml")
	if err != nil {
		b.Fatal(err)
	}
	w, err := prepareWorld(sc, CoSimOptions{})
	if err != nil {
		b.Fatal(err)
	}
	w.tmpDir = b.TempDir()
	if err := w.idealRun(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, err := w.strategyRun(context.Background(), strategy); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// cpuClock reads this process's and its reaped children's CPU time.
type cpuClock struct{ self, children time.Duration }

func startCPU() cpuClock {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return cpuClock{rusageCPU(&self), rusageCPU(&children)}
}

func rusageCPU(r *syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// report adds the CPU seconds since c, of SUMO and of this process, per
// op, as metrics.
func (c cpuClock) report(b *testing.B) {
	now := startCPU()
	b.ReportMetric((now.children-c.children).Seconds()/float64(b.N), "sumo-cpu-s/op")
	b.ReportMetric((now.self-c.self).Seconds()/float64(b.N), "go-cpu-s/op")
}
